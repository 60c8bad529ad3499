using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using A = Fruits.Clustering.DynamoDB.MembershipAttributes;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Pages through every row of one cluster's partition with strongly consistent reads.</summary>
internal static class DynamoDBClusterQuery
{
    public static async IAsyncEnumerable<Dictionary<string, AttributeValue>> QueryAsync(
        IAmazonDynamoDB client,
        string tableName,
        string clusterId,
        bool keysOnly,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = tableName,
            ConsistentRead = true,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = A.DeploymentId },
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = clusterId } },
        };
        if (keysOnly)
        {
            request.ProjectionExpression = $"#pk, {A.SiloIdentity}";
        }

        do
        {
            var response = await client.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                yield return item;
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);
    }
}
