namespace Fruits.Grains;

/// <summary>The silo is shutting down and takes no new batch; the job hands the batch to another silo.</summary>
[GenerateSerializer, Alias("Fruits.SiloDrainingException")]
public sealed class SiloDrainingException : Exception
{
    public SiloDrainingException()
    {
    }

    public SiloDrainingException(string message)
        : base(message)
    {
    }

    public SiloDrainingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
