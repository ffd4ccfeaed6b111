namespace Kiln.Monitoring.Sketches;

/// <summary>
/// The KLL quantile sketch (Karnin, Lang, Liberty 2016), as Deequ and Model Monitor keep it: compactors whose
/// capacities shrink by <see cref="C"/> from the top level (capacity <see cref="K"/>) down; an item at level h
/// stands for 2^h values. A full level is sorted and every other item, from a random offset, moves up. The total
/// weight stays exactly the number of values; the rank error is O(1/K) with high probability.
/// </summary>
public sealed class KllSketch
{
    public const int DefaultK = 2048;
    public const double DefaultC = 0.7;

    private readonly List<double[]> _levels = [];
    private readonly List<int> _sizes = [];
    private readonly List<int> _capacities = [];
    private readonly Random _random;
    private int _maxSize;
    private int _size;

    public KllSketch(int k = DefaultK, double c = DefaultC, int seed = 1)
    {
        if (k < 8 || c <= 0.5 || c > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), "k must be at least 8 and c in (0.5, 1]");
        }

        K = k;
        C = c;
        _random = new Random(seed);
        AddLevel();
    }

    public int K { get; }

    public double C { get; }

    /// <summary>How many values the sketch stands for.</summary>
    public long Count { get; private set; }

    /// <summary>The compactors, lowest level first (the "data" of Model Monitor's statistics.json).</summary>
    public IReadOnlyList<ReadOnlyMemory<double>> Levels => _levels.Select((items, h) => (ReadOnlyMemory<double>)items.AsMemory(0, _sizes[h])).ToList();

    /// <summary>A sketch from the levels a statistics.json stored.</summary>
    public static KllSketch FromLevels(int k, double c, IReadOnlyList<IReadOnlyList<double>> levels)
    {
        var sketch = new KllSketch(k, c);
        for (var h = 0; h < levels.Count; h++)
        {
            foreach (var value in levels[h])
            {
                if (!double.IsFinite(value))
                {
                    throw new MonitoringInputException("A KLL sketch holds a value that is not a finite number.");
                }

                sketch.Append(h, value);
                sketch.Count += 1L << Math.Min(h, 62);
            }
        }

        sketch.SortUpperLevels();
        sketch.Compress();
        return sketch;
    }

    public void Add(double value)
    {
        // The common case without the list look-ups of Append: level 0 has room.
        var items = _levels[0];
        var size = _sizes[0];
        if (size < items.Length)
        {
            items[size] = value;
            _sizes[0] = size + 1;
            _size++;
        }
        else
        {
            Append(0, value);
        }

        Count++;
        if (_size >= _maxSize)
        {
            Compress();
        }
    }

    /// <summary>Adds the other sketch's items (the two are then one sketch of both inputs).</summary>
    public void Merge(KllSketch other)
    {
        for (var h = 0; h < other._levels.Count; h++)
        {
            for (var i = 0; i < other._sizes[h]; i++)
            {
                Append(h, other._levels[h][i]);
            }
        }

        Count += other.Count;
        SortUpperLevels();
        Compress();
    }

    /// <summary>The items sorted with their cumulative weights: the sketch's estimate of the CDF.</summary>
    public SortedView Sorted()
    {
        var items = new List<(double Value, long Weight)>(_size);
        for (var h = 0; h < _levels.Count; h++)
        {
            for (var i = 0; i < _sizes[h]; i++)
            {
                items.Add((_levels[h][i], 1L << h));
            }
        }

        items.Sort((a, b) => a.Value.CompareTo(b.Value));
        var values = new double[items.Count];
        var cumulative = new long[items.Count];
        long sum = 0;
        for (var i = 0; i < items.Count; i++)
        {
            sum += items[i].Weight;
            values[i] = items[i].Value;
            cumulative[i] = sum;
        }

        return new SortedView(values, cumulative);
    }

    private void AddLevel()
    {
        _levels.Add(new double[16]);
        _sizes.Add(0);
        _capacities.Add(0);
        _maxSize = 0;
        for (var h = 0; h < _levels.Count; h++)
        {
            var depth = _levels.Count - h - 1;
            _capacities[h] = Math.Max(2, (int)Math.Ceiling(K * Math.Pow(C, depth)));
            _maxSize += _capacities[h];
        }
    }

    private void Append(int level, double value)
    {
        while (_levels.Count <= level)
        {
            AddLevel();
        }

        var items = _levels[level];
        var size = _sizes[level];
        if (size == items.Length)
        {
            Array.Resize(ref items, items.Length * 2);
            _levels[level] = items;
        }

        items[size] = value;
        _sizes[level] = size + 1;
        _size++;
    }

    private void Compress()
    {
        while (_size >= _maxSize)
        {
            for (var h = 0; h < _levels.Count; h++)
            {
                if (_sizes[h] >= _capacities[h])
                {
                    if (h + 1 == _levels.Count)
                    {
                        AddLevel();
                    }

                    Compact(h);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Promotes every other item of a level, from a random offset, into the level above; with an odd count the
    /// largest item stays. Levels above 0 are kept sorted (the promoted run is merged in from the back), so only
    /// level 0 is ever sorted: the sort of every level was most of the cost of an update.
    /// </summary>
    private void Compact(int level)
    {
        var items = _levels[level];
        var size = _sizes[level];
        if (level == 0)
        {
            items.AsSpan(0, size).Sort();
        }

        var pairs = size / 2;
        var offset = _random.Next(2);
        var up = _levels[level + 1];
        var upSize = _sizes[level + 1];
        if (upSize + pairs > up.Length)
        {
            Array.Resize(ref up, Math.Max(up.Length * 2, upSize + pairs));
            _levels[level + 1] = up;
        }

        int i = upSize - 1, j = pairs - 1, k = upSize + pairs - 1;
        while (j >= 0)
        {
            var promoted = items[(2 * j) + offset];
            if (i >= 0 && up[i] > promoted)
            {
                up[k--] = up[i--];
            }
            else
            {
                up[k--] = promoted;
                j--;
            }
        }

        _sizes[level + 1] = upSize + pairs;
        var kept = size - (2 * pairs);
        if (kept == 1)
        {
            items[0] = items[size - 1];
        }

        _sizes[level] = kept;
        _size -= pairs;
    }

    /// <summary>After items were appended to levels above 0 out of order (loading, merging).</summary>
    private void SortUpperLevels()
    {
        for (var h = 1; h < _levels.Count; h++)
        {
            _levels[h].AsSpan(0, _sizes[h]).Sort();
        }
    }

    /// <summary>Sorted sketch items with the cumulative weight up to and including each.</summary>
    public sealed class SortedView(double[] values, long[] cumulative)
    {
        public long Total => cumulative.Length == 0 ? 0 : cumulative[^1];

        public bool IsEmpty => values.Length == 0;

        /// <summary>Estimated number of values ≤ x.</summary>
        public long CountAtMost(double x)
        {
            var index = UpperBound(x) - 1;
            return index < 0 ? 0 : cumulative[index];
        }

        /// <summary>Estimated number of values &lt; x.</summary>
        public long CountBelow(double x)
        {
            var index = LowerBound(x) - 1;
            return index < 0 ? 0 : cumulative[index];
        }

        /// <summary>Estimated fraction of values ≤ x.</summary>
        public double Cdf(double x) => Total == 0 ? 0 : (double)CountAtMost(x) / Total;

        /// <summary>The smallest item whose cumulative weight reaches q of the total.</summary>
        public double Quantile(double q)
        {
            if (values.Length == 0)
            {
                return double.NaN;
            }

            var target = Math.Max(1, (long)Math.Ceiling(Math.Clamp(q, 0, 1) * Total));
            var index = Array.BinarySearch(cumulative, target);
            if (index < 0)
            {
                index = ~index;
            }

            return values[Math.Min(index, values.Length - 1)];
        }

        public ReadOnlySpan<double> Values => values;

        private int UpperBound(double x)
        {
            int lo = 0, hi = values.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (values[mid] <= x)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        private int LowerBound(double x)
        {
            int lo = 0, hi = values.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (values[mid] < x)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
