using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Parquet;

namespace Kiln.FeatureStore.Offline;

/// <summary>
/// One Parquet object of an hour partition. A flush file (<c>20261207T130000Z_…parquet</c>) holds its own rows: its
/// leaves are just its name. A compacted file (<c>compacted-g000002-…parquet</c>, see <see cref="OfflineStoreFiles"/>)
/// holds the rows of the flush files named in its footer: those are its leaves.
/// </summary>
public sealed record OfflineFile(string Key, long Size, IReadOnlySet<string> Leaves)
{
    public string Name => OfflineStoreFiles.NameOf(Key);

    public bool IsCompacted => OfflineStoreFiles.IsCompacted(Key);

    public int Generation => OfflineStoreFiles.GenerationOf(Key);
}

/// <summary>What a partition's listing holds: the files to read (each row once), and the files made redundant by them.</summary>
public sealed record PartitionView(IReadOnlyList<OfflineFile> Visible, IReadOnlyList<OfflineFile> Redundant, bool Complete);

/// <summary>
/// How compaction names its files and how readers resolve a partition. Compaction writes one object whose footer
/// (Parquet key-value metadata <see cref="SourcesKey"/>) lists every flush file whose rows it holds, then deletes
/// those files: the object and its list of what it replaces appear together, in one PUT, so no reader can see one
/// without the other. Readers take from each partition the largest compacted files whose leaves do not overlap,
/// then every flush file none of them holds. Compacted names sort after flush names, and a compaction's generation
/// is one more than its inputs', so a listing that pages past a file deleted meanwhile still reaches the file that
/// replaced it.
/// </summary>
public static class OfflineStoreFiles
{
    public const string CompactedPrefix = "compacted-g";
    public const string SourcesKey = "kiln.compacted.sources";

    public static string NameOf(string key) => key[(key.LastIndexOf('/') + 1)..];

    public static string FolderOf(string key) => key[..(key.LastIndexOf('/') + 1)];

    public static bool IsCompacted(string key) => NameOf(key).StartsWith(CompactedPrefix, StringComparison.Ordinal);

    public static int GenerationOf(string key)
    {
        var name = NameOf(key);
        return IsCompacted(key) && name.Length > CompactedPrefix.Length + 6
            && int.TryParse(name.AsSpan(CompactedPrefix.Length, 6), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
                ? generation
                : 0;
    }

    /// <summary>The compacted file's name: its generation, then a digest of its leaves, so the same merge is the same object.</summary>
    public static string CompactedName(int generation, IEnumerable<string> leaves)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', leaves.Order(StringComparer.Ordinal))));
        return string.Create(CultureInfo.InvariantCulture, $"{CompactedPrefix}{generation:D6}-{Convert.ToHexStringLower(digest)[..24]}.parquet");
    }

    public static string EncodeLeaves(IEnumerable<string> leaves) => string.Join('\n', leaves.Order(StringComparer.Ordinal));

    /// <summary>A compacted file's leaves, from its footer; empty when the footer names none (not a compaction of ours).</summary>
    public static async Task<IReadOnlySet<string>> ReadLeavesAsync(Stream parquet, CancellationToken ct)
    {
        await using var reader = await ParquetReader.CreateAsync(parquet, leaveStreamOpen: true, cancellationToken: ct).ConfigureAwait(false);
        return reader.CustomMetadata.TryGetValue(SourcesKey, out var sources)
            ? sources.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>
    /// Resolves one partition's files: a set of compacted files whose leaves do not overlap, and every flush file none
    /// of them holds, such that every leaf any listed file holds is read exactly once (complete). The preferred set
    /// takes compacted files largest first (then newest generation, then name); when that one is not complete, other
    /// sets are tried (a partition holds few compacted files). No set is complete only while two compactions that
    /// raced, and overlap without one holding the other, are settling; then the preferred set is returned, incomplete.
    /// </summary>
    public static PartitionView Resolve(IReadOnlyList<OfflineFile> files)
    {
        var compacted = files.Where(file => file.IsCompacted && file.Leaves.Count > 0)
            .OrderByDescending(file => file.Leaves.Count).ThenByDescending(file => file.Generation).ThenBy(file => file.Key, StringComparer.Ordinal)
            .ToList();
        var plain = files.Where(file => !file.IsCompacted || file.Leaves.Count == 0).ToList();
        var all = new HashSet<string>(plain.Select(file => file.Name), StringComparer.Ordinal);
        foreach (var file in compacted)
        {
            all.UnionWith(file.Leaves);
        }

        PartitionView? preferred = null;
        var budget = 4096;
        var chosen = new List<OfflineFile>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);

        PartitionView? Search(int index)
        {
            if (index == compacted.Count || --budget <= 0)
            {
                var view = View(chosen, claimed);
                preferred ??= view;
                return view.Complete ? view : null;
            }

            var file = compacted[index];
            if (!file.Leaves.Overlaps(claimed))
            {
                chosen.Add(file);
                claimed.UnionWith(file.Leaves);
                var found = Search(index + 1);
                chosen.RemoveAt(chosen.Count - 1);
                claimed.ExceptWith(file.Leaves);
                if (found is not null)
                {
                    return found;
                }
            }

            return budget > 0 ? Search(index + 1) : null;
        }

        PartitionView View(List<OfflineFile> taken, HashSet<string> held)
        {
            var visible = new List<OfflineFile>(taken);
            var read = new HashSet<string>(held, StringComparer.Ordinal);
            foreach (var file in plain.Where(file => !held.Contains(file.Name)))
            {
                // A flush file (or a Parquet file of someone else's) is its own leaf.
                visible.Add(file);
                read.Add(file.Name);
            }

            var redundant = files.Where(file => !visible.Contains(file)
                && (file.IsCompacted && file.Leaves.Count > 0 ? file.Leaves.IsSubsetOf(held) : held.Contains(file.Name))).ToList();
            visible.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return new PartitionView(visible, redundant, all.SetEquals(read));
        }

        return Search(0) ?? preferred!;
    }
}
