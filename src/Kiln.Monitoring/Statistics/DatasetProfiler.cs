using Kiln.Monitoring.Sketches;

namespace Kiln.Monitoring.Statistics;

/// <summary>
/// Profiles a dataset row by row (readers call <see cref="Column"/>, then add cells, then <see cref="EndRow"/>).
/// A column first seen on a later row counts as missing on the rows before it.
/// </summary>
internal sealed class DatasetProfiler
{
    private readonly List<ColumnProfiler> _columns = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _domains;

    /// <param name="domains">Per feature, the values whose outside share the categorical values check needs.</param>
    public DatasetProfiler(IReadOnlyDictionary<string, IReadOnlySet<string>>? domains = null, int k = KllSketch.DefaultK, double c = KllSketch.DefaultC)
    {
        _domains = domains ?? new Dictionary<string, IReadOnlySet<string>>();
        K = k;
        C = c;
    }

    public int K { get; }

    public double C { get; }

    public long ItemCount { get; private set; }

    internal IReadOnlyList<ColumnProfiler> Columns => _columns;

    internal ColumnProfiler Column(string name)
    {
        if (_byName.TryGetValue(name, out var index))
        {
            return _columns[index];
        }

        var column = new ColumnProfiler(name, _domains.GetValueOrDefault(name), K, C);
        _byName[name] = _columns.Count;
        _columns.Add(column);
        return column;
    }

    internal ColumnProfiler? Find(string name) => _byName.TryGetValue(name, out var index) ? _columns[index] : null;

    internal void EndRow() => ItemCount++;

    internal void EndRows(long rows) => ItemCount += rows;

    public DatasetStatistics Result()
    {
        if (ItemCount == 0)
        {
            throw new MonitoringInputException("The dataset has no records.");
        }

        return new DatasetStatistics(ItemCount, _columns.Select(c => c.Result(ItemCount)).ToList());
    }
}
