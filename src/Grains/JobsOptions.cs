namespace Fruits.Grains;

/// <summary>How the cluster keeps its jobs going, bound from configuration section "Fruits:Jobs".</summary>
public sealed class JobsOptions
{
    public const string Section = "Fruits:Jobs";

    /// <summary>The grain storage provider holding job records and the job registry.</summary>
    public const string StorageName = "jobs";

    /// <summary>
    /// How often an unfinished job's reminder checks that some silo drives it, and resumes it if none does.
    /// This bounds how long a job waits after losing its silo, or after the whole cluster restarted.
    /// </summary>
    public TimeSpan ResumeCheckPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a running job stores its progress (phase changes are stored at once).</summary>
    public TimeSpan ProgressSaveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A silo that fails this many batches in a row is given no work for a while, doubling each time.</summary>
    public int SiloFailuresBeforeBackoff { get; set; } = 2;

    /// <summary>Failures of one batch, on working silos, before its job fails: it is the batch, not the silo.</summary>
    public int MaxBatchAttempts { get; set; } = 5;

    /// <summary>
    /// The job fails when this many attempts in a row were ended by a lost silo (a grain the job called was on a silo
    /// that died or left). Until then each such attempt starts the next at once, which resumes the stored batches.
    /// </summary>
    public int MaxInterruptedAttempts { get; set; } = 3;

    /// <summary>
    /// How long a job waits for any silo to be ready (a model that loads, not shutting down) before it fails
    /// with the silos' reasons.
    /// </summary>
    public TimeSpan NoReadySiloTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a silo told to stop keeps finishing the batches it has before it leaves. Below the ECS task's
    /// stopTimeout (120 s in deploy/ecs), so the drain ends before SIGKILL.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Whether an unfinished job is resumed after its process died (reminders in a durable table). Set by the host
    /// from its job store, not by users: it tells whether an output held by a dead process's job can be taken over.
    /// </summary>
    public bool DurableReminders { get; set; } = true;

    /// <summary>Where the embedded and localhost silos keep job records; empty = the user's data folder (fruits/jobs).</summary>
    public string LocalStorePath { get; set; } = "";

    public string EffectiveLocalStorePath => string.IsNullOrEmpty(LocalStorePath)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "fruits", "jobs")
        : LocalStorePath;
}
