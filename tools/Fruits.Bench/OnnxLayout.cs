namespace Fruits.Bench;

/// <summary>How bare inference is laid out: parallel sessions, intra-op threads per session, images per run.</summary>
public sealed record OnnxLayout(int Sessions, int Threads, int Batch)
{
    public override string ToString() => $"sessions={Sessions} intra-op threads={Threads} batch={Batch}";
}
