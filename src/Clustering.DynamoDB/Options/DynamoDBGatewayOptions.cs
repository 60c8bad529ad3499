namespace Orleans.Configuration;

/// <summary>Client-side options: which table the gateway list is read from. Clients never create the table.</summary>
public sealed class DynamoDBGatewayOptions : DynamoDBTableOptions
{
}
