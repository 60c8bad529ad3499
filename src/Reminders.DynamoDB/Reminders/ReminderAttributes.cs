namespace Fruits.Reminders.DynamoDB;

/// <summary>
/// Attribute and index names of the reminder table. They are those of the official provider, so a table written here
/// stays readable by it and the other way round.
/// </summary>
internal static class ReminderAttributes
{
    /// <summary>Partition key: <c>{ServiceId}_{GrainId}_{ReminderName}</c>.</summary>
    public const string ReminderId = "ReminderId";

    /// <summary>Sort key and range key of <see cref="ServiceIdIndex"/>: the grain's uniform hash on the ring (number).</summary>
    public const string GrainHash = "GrainHash";

    public const string ServiceId = "ServiceId";

    /// <summary>The <c>GrainId</c>, as its string form.</summary>
    public const string GrainReference = "GrainReference";

    public const string ReminderName = "ReminderName";

    /// <summary>UTC, ISO 8601 round-trip (<c>O</c>).</summary>
    public const string StartTime = "StartTime";

    /// <summary>TimeSpan constant format (<c>c</c>).</summary>
    public const string Period = "Period";

    /// <summary>Number, new on every upsert.</summary>
    public const string ETag = "ETag";

    /// <summary>Global index (ServiceId, GrainHash): the ring range reads.</summary>
    public const string ServiceIdIndex = "ServiceIdIndex";

    /// <summary>Global index (ServiceId, GrainReference): the reminders of one grain.</summary>
    public const string ServiceIdGrainReferenceIndex = "ServiceIdGrainReferenceIndex";
}
