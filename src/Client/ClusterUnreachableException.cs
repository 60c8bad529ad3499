namespace Fruits.Client;

public sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
