using Fruits.Pipeline.Listing;

namespace Fruits.UnitTests.Listing;

/// <summary>
/// Images the feature store holds and those it does not fill batches of their own; every batch but the last is full,
/// whatever the store holds and however late it is known.
/// </summary>
public sealed class BatchCutterTests
{
    private static readonly IReadOnlyList<ImageEntry> Listed = [.. Enumerable.Range(0, 23).Select(i => new ImageEntry($"k{i:D2}", $"/p/{i:D2}.jpg", "L"))];

    /// <summary>Every third image is new, as when new photos arrive in every folder.</summary>
    private static bool Stored(ImageEntry image) => int.Parse(image.Key[1..], System.Globalization.CultureInfo.InvariantCulture) % 3 != 0;

    [Fact]
    public async Task Stored_and_new_images_fill_batches_of_their_own_each_in_listing_order_and_only_the_last_is_partial()
    {
        var batches = await CutAsync(new BatchCutter(4, Holding(Stored)));

        AssertWhole(batches, 4);
        // 15 stored, 8 new: three batches of stored, two of new, and what is left of each (3 stored) in the last.
        Assert.Equal(6, batches.Count);
        Assert.All(batches.SkipLast(1), b => Assert.True(b.All(Stored) || !b.Any(Stored), $"batch {string.Join(",", b.Select(i => i.Key))} mixes"));
        Assert.Equal(Listed.Where(Stored).Select(i => i.Key), batches.SelectMany(b => b).Where(Stored).Select(i => i.Key));
        Assert.Equal(Listed.Where(i => !Stored(i)).Select(i => i.Key), batches.SelectMany(b => b).Where(i => !Stored(i)).Select(i => i.Key));
    }

    [Fact]
    public async Task Images_listed_before_the_store_is_known_wait_and_are_cut_as_if_it_had_been_known_from_the_start()
    {
        var known = new TaskCompletionSource<Func<int, ImageEntry, bool>?>();
        var cutter = new BatchCutter(4, known.Task);
        var batches = new List<IReadOnlyList<ImageEntry>>();
        foreach (var (image, i) in Listed.Select((image, i) => (image, i)))
        {
            if (i == 10)
            {
                Assert.Empty(cutter.Cut);
                known.SetResult((_, image) => Stored(image));
            }

            cutter.Add(image);
            while (cutter.Cut.TryDequeue(out var batch))
            {
                batches.Add(batch);
            }
        }

        await cutter.FinishAsync();
        batches.AddRange(cutter.Cut);

        var fromTheStart = await CutAsync(new BatchCutter(4, Holding(Stored)));
        Assert.Equal(fromTheStart.Select(b => b.Select(i => i.Key).ToList()), batches.Select(b => b.Select(i => i.Key).ToList()));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("unknown")]
    [InlineData("failed")]
    [InlineData("all stored")]
    public async Task Without_a_store_a_store_that_failed_to_load_or_one_holding_all_or_none_batches_are_cut_in_listing_order(string store)
    {
        var cutter = store switch
        {
            "none" => new BatchCutter(4),
            "unknown" => new BatchCutter(4, Task.FromResult<Func<int, ImageEntry, bool>?>(null)),
            "failed" => new BatchCutter(4, Task.FromException<Func<int, ImageEntry, bool>?>(new IOException("index unreadable"))),
            _ => new BatchCutter(4, Holding(_ => true)),
        };

        var batches = await CutAsync(cutter);

        AssertWhole(batches, 4);
        Assert.Equal(Listed.Select(i => i.Key), batches.SelectMany(b => b).Select(i => i.Key));
        Assert.Null(cutter.Held);
    }

    /// <summary>
    /// A later attempt finds the store holding what the first featurized; cutting by what the first cut kept, it cuts
    /// the same batches, where cutting by the store would not.
    /// </summary>
    [Fact]
    public async Task What_a_cut_kept_of_the_store_cuts_the_same_listing_the_same_way_later()
    {
        var first = new BatchCutter(4, Holding(Stored));
        var batches = await CutAsync(first);
        var held = first.Held!;
        Assert.Equal(Listed.Select(Stored), Listed.Select((_, position) => BatchCutter.IsHeld(held, position)));
        Assert.False(BatchCutter.IsHeld(held, Listed.Count + 8));

        var replayed = await CutAsync(new BatchCutter(4, Task.FromResult<Func<int, ImageEntry, bool>?>((position, _) => BatchCutter.IsHeld(held, position))));
        var byGrownStore = await CutAsync(new BatchCutter(4, Holding(i => Stored(i) || i.Key == "k00")));
        static List<List<string>> Keys(List<IReadOnlyList<ImageEntry>> cut) => [.. cut.Select(b => b.Select(i => i.Key).ToList())];
        Assert.Equal(Keys(batches), Keys(replayed));
        Assert.NotEqual(Keys(batches), Keys(byGrownStore));
    }

    private static Task<Func<int, ImageEntry, bool>?> Holding(Func<ImageEntry, bool> stored) => Task.FromResult<Func<int, ImageEntry, bool>?>((_, image) => stored(image));

    private static async Task<List<IReadOnlyList<ImageEntry>>> CutAsync(BatchCutter cutter)
    {
        var batches = new List<IReadOnlyList<ImageEntry>>();
        foreach (var image in Listed)
        {
            cutter.Add(image);
            while (cutter.Cut.TryDequeue(out var batch))
            {
                batches.Add(batch);
            }
        }

        await cutter.FinishAsync();
        batches.AddRange(cutter.Cut);
        return batches;
    }

    /// <summary>Every listed image once; every batch full but the last.</summary>
    private static void AssertWhole(List<IReadOnlyList<ImageEntry>> batches, int batchSize)
    {
        Assert.Equal(Listed.Select(i => i.Key).Order(), batches.SelectMany(b => b).Select(i => i.Key).Order());
        Assert.All(batches.SkipLast(1), b => Assert.Equal(batchSize, b.Count));
        Assert.InRange(batches[^1].Count, 1, batchSize);
    }
}
