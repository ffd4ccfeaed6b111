using System.Runtime.InteropServices;
using Kiln.Monitoring.Sketches;

namespace Kiln.Monitoring.Statistics;

/// <summary>
/// Everything one pass over a column needs: counts per type (Deequ's DataType analyzer), moments (Welford),
/// min/max, a KLL sketch of the numbers, and the counts of its text values while there are few of them.
/// </summary>
internal sealed class ColumnProfiler
{
    /// <summary>Values counted exactly up to this many distinct ones; past it the HyperLogLog estimates.</summary>
    internal const int MaxTrackedValues = 1000;

    /// <summary>A string feature with at most this many distinct values gets a suggested domain (Deequ's 120).</summary>
    internal const int MaxDomainValues = 120;

    private const int MaxBuckets = 10;

    private readonly Dictionary<string, long> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _domain;
    private readonly KllSketch _sketch;
    private HyperLogLog? _distinct;
    private double _mean;
    private double _m2;
    private double _sum;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    public ColumnProfiler(string name, IReadOnlySet<string>? domain = null, int k = KllSketch.DefaultK, double c = KllSketch.DefaultC)
    {
        Name = name;
        _lookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
        if (domain is not null)
        {
            _domain = new HashSet<string>(domain, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        }

        _sketch = new KllSketch(k, c);
    }

    public string Name { get; }

    public long Present => Integral + Fractional + Strings;

    public long Integral { get; private set; }

    public long Fractional { get; private set; }

    public long Strings { get; private set; }

    /// <summary>Present values outside the domain given at construction.</summary>
    public long OutsideDomain { get; private set; }

    public double Min => _min;

    /// <summary>A CSV cell or a JSON number: empty is missing; otherwise typed by its text.</summary>
    public void AddText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        switch (NumberParser.Parse(text, out var number))
        {
            case NumberKind.Integral:
                Integral++;
                AddNumber(number);
                break;
            case NumberKind.Fractional:
                Fractional++;
                AddNumber(number);
                break;
            default:
                Strings++;
                break;
        }

        Count(text);
    }

    /// <summary>A JSON string value: a String whatever it spells.</summary>
    public void AddString(ReadOnlySpan<char> text)
    {
        Strings++;
        Count(text);
    }

    private void AddNumber(double value)
    {
        _sum += value;
        var n = Integral + Fractional;
        var delta = value - _mean;
        _mean += delta / n;
        _m2 += delta * (value - _mean);
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }

        _sketch.Add(value);
    }

    private void Count(ReadOnlySpan<char> text)
    {
        if (_domain is { } domain && !domain.Contains(text))
        {
            OutsideDomain++;
        }

        // A numeric column stops paying for the value counts once it has many distinct values and no text.
        if (_distinct is not null && Strings == 0)
        {
            return;
        }

        if (_distinct is null)
        {
            // One hash look-up for the common case: the value is counted, or added while there is room.
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_lookup, text, out var exists);
            slot++;
            if (exists || _values.Count <= MaxTrackedValues)
            {
                return;
            }

            _lookup.Remove(text);
            _distinct = new HyperLogLog();
            foreach (var value in _values.Keys)
            {
                _distinct.Add(value);
            }
        }
        else if (_lookup.TryGetValue(text, out var count))
        {
            _lookup[text] = count + 1;
            return;
        }

        _distinct.Add(text);
    }

    public InferredType InferredType =>
        Strings > 0 ? InferredType.String
        : Fractional > 0 ? InferredType.Fractional
        : Integral > 0 ? InferredType.Integral
        : InferredType.Unknown;

    public FeatureStatistics Result(long itemCount)
    {
        var type = InferredType;
        var missing = itemCount - Present;
        if (type is InferredType.Integral or InferredType.Fractional)
        {
            var n = Integral + Fractional;
            var std = n > 0 ? Math.Sqrt(_m2 / n) : 0;
            var numerical = new NumericalStatistics(_mean, _sum, std, _min, _max, Buckets(_sketch, _min, _max), _sketch);
            return new FeatureStatistics(Name, type, Present, missing, numerical, null);
        }

        var distinct = _distinct?.Estimate() ?? _values.Count;
        var buckets = _values.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new CategoricalBucket(p.Key, p.Value)).ToList();
        return new FeatureStatistics(Name, type, Present, missing, null, new StringStatistics(distinct, buckets));
    }

    /// <summary>Ten equal-width buckets over [min, max] (the last one closed), counted from the sketch.</summary>
    internal static List<KllBucket> Buckets(KllSketch sketch, double min, double max)
    {
        var buckets = new List<KllBucket>(MaxBuckets);
        if (sketch.Count == 0)
        {
            return buckets;
        }

        var view = sketch.Sorted();
        var width = (max - min) / MaxBuckets;
        long before = 0;
        for (var i = 0; i < MaxBuckets; i++)
        {
            var lower = min + (i * width);
            var upper = i == MaxBuckets - 1 ? max : min + ((i + 1) * width);
            var through = i == MaxBuckets - 1 ? view.Total : view.CountBelow(upper);
            buckets.Add(new KllBucket(lower, upper, through - before));
            before = through;
        }

        return buckets;
    }
}
