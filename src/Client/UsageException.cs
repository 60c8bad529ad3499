namespace Fruits.Client;

/// <summary>A bad command line; printed as one line with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
