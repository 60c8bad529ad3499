using System.Text.Json;
using Orleans.Storage;

namespace Fruits.IntegrationTests.Persistence;

/// <summary>Lets provider tests run without a silo's serializer registrations; the silo test uses the silo's own.</summary>
public sealed class SystemTextJsonGrainStorageSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input));

    public T? Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span);
}
