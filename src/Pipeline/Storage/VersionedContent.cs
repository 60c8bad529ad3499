namespace Fruits.Pipeline.Storage;

/// <summary>An object's bytes and the tag that a conditional delete must name to remove exactly these bytes.</summary>
/// <param name="MatchTag">S3: the ETag of the GET. Local: a SHA-256 of the content (see <see cref="LocalObjectStore"/>).</param>
public sealed record VersionedContent(byte[] Content, string MatchTag);
