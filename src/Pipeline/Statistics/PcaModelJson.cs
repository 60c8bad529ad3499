namespace Fruits.Pipeline.Statistics;

/// <summary>TEMPORARY stub until the statistics stage lands.</summary>
public static class PcaModelJson
{
    public static byte[] Serialize(PcaModel model) => throw new NotImplementedException();

    public static PcaModel Deserialize(byte[] json) => throw new NotImplementedException();
}
