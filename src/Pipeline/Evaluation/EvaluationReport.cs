using System.Text.Json.Serialization;

namespace Fruits.Pipeline.Evaluation;

/// <summary>k-nearest-neighbour accuracy at one feature size, under both ways of making folds.</summary>
/// <param name="Space">"pca" (the first <paramref name="Dimensions"/> components) or "raw" (the 1280 MobileNetV2 features).</param>
public sealed record DimensionAccuracy(
    [property: JsonPropertyName("dimensions")] int Dimensions,
    [property: JsonPropertyName("space")] string Space,
    [property: JsonPropertyName("interleaved")] double Interleaved,
    [property: JsonPropertyName("blocked")] double Blocked);

public sealed record ConfusedPair(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("predicted_as")] string PredictedAs,
    [property: JsonPropertyName("count")] int Count);

/// <summary>Images with the very same bytes; <see cref="Labels"/> has more than one entry when they disagree.</summary>
public sealed record DuplicateGroup(
    [property: JsonPropertyName("paths")] IReadOnlyList<string> Paths,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels);

public sealed record NearDuplicate(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("nearest_path")] string NearestPath,
    [property: JsonPropertyName("nearest_label")] string NearestLabel,
    [property: JsonPropertyName("distance")] float Distance);

public sealed record EvaluationReport(
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("labels")] int Labels,
    [property: JsonPropertyName("job_k")] int JobK,
    [property: JsonPropertyName("folds")] int Folds,
    [property: JsonPropertyName("neighbours")] int Neighbours,
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("how_folds_are_made")] string HowFoldsAreMade,
    [property: JsonPropertyName("accuracy")] IReadOnlyList<DimensionAccuracy> Accuracy,
    [property: JsonPropertyName("most_confused")] IReadOnlyList<ConfusedPair> MostConfused,
    [property: JsonPropertyName("exact_duplicates")] IReadOnlyList<DuplicateGroup> ExactDuplicates,
    [property: JsonPropertyName("near_duplicate_distance")] float NearDuplicateDistance,
    [property: JsonPropertyName("near_duplicate_share")] double NearDuplicateShare,
    [property: JsonPropertyName("near_duplicates_with_other_labels")] IReadOnlyList<NearDuplicate> NearDuplicatesWithOtherLabels,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings);
