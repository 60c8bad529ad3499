namespace Fruits.Client;

public static class ExitCodes
{
    public const int Success = 0;
    public const int JobFailed = 1;
    public const int BadRequest = 2;
    public const int ClusterUnreachable = 3;
}
