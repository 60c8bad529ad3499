using System.Runtime.InteropServices;

namespace Fruits.Bench;

/// <summary>Stops and continues a child process (POSIX SIGSTOP/SIGCONT), so the bench can borrow the machine mid-job.</summary>
internal static partial class ProcessSignals
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    public static bool Supported => OperatingSystem.IsLinux();

    public static void Stop(int pid) => Send(pid, SigStop);

    public static void Continue(int pid) => Send(pid, SigCont);

    private static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
