using Kiln.Core.Tuning;

namespace Kiln.Tuning.Search;

/// <summary>Proposes the next point to try and learns from the results (losses: lower is better).</summary>
internal interface ISearchStrategy
{
    /// <summary>The next point, or null when the strategy has no more (a grid that is done).</summary>
    double[]? Suggest();

    /// <summary>After a restart: a trial suggested before it (null when its values are outside the space), running until observed.</summary>
    void Replay(double[]? point);

    void Observe(double[] point, double loss);
}

internal static class SearchStrategy
{
    /// <summary>The strategy a tuning job asks for. Each suggestion draws from a generator seeded by the job's seed and the trial's index, so a seed replays.</summary>
    public static ISearchStrategy Create(string strategy, ParameterSpace space, int seed, int budget) => strategy switch
    {
        TuningStrategies.Grid => new GridSearch(space),
        TuningStrategies.Bayesian => new GaussianProcessSearch(space, seed, budget),
        _ => new RandomSearch(space, seed),
    };

    public static double[] Uniform(ParameterSpace space, Random random)
    {
        var point = new double[space.Dimensions];
        for (var d = 0; d < point.Length; d++)
        {
            point[d] = space.IsCategorical(d) ? random.Next(space.Categories(d)) : random.NextDouble();
        }

        return point;
    }
}

/// <summary>Random search: every point drawn uniformly from the (scaled) space. Hyperband draws its trials this way too.</summary>
internal sealed class RandomSearch(ParameterSpace space, int seed) : ISearchStrategy
{
    private int _suggested;

    public double[]? Suggest() => SearchStrategy.Uniform(space, new Random(Seeds.Mix(seed, _suggested++)));

    public void Replay(double[]? point) => _suggested++;

    public void Observe(double[] point, double loss)
    {
    }
}

/// <summary>Grid search: every combination of the categorical values and integers, in order.</summary>
internal sealed class GridSearch(ParameterSpace space) : ISearchStrategy
{
    private long _next;

    public long Size => Enumerable.Range(0, space.Dimensions).Aggregate(1L, (size, d) => size * Levels(d));

    public double[]? Suggest()
    {
        if (_next >= Size)
        {
            return null;
        }

        var index = _next++;
        var point = new double[space.Dimensions];
        for (var d = space.Dimensions - 1; d >= 0; d--)
        {
            var levels = Levels(d);
            var level = index % levels;
            index /= levels;
            var range = space.Ranges[d];
            point[d] = space.IsCategorical(d) ? level : ParameterSpace.ToUnit(range, range.Min + level);
        }

        return point;
    }

    public void Replay(double[]? point) => _next++;

    public void Observe(double[] point, double loss)
    {
    }

    private long Levels(int d) => space.IsCategorical(d) ? space.Categories(d) : (long)(space.Ranges[d].Max - space.Ranges[d].Min) + 1;
}

/// <summary>Seeds that are the same in every process (HashCode is randomised per process, so it cannot seed a replayable search).</summary>
internal static class Seeds
{
    public static int Mix(int seed, int index, int salt = 0)
    {
        unchecked
        {
            var x = ((ulong)(uint)seed << 32) ^ (uint)index ^ ((ulong)(uint)salt * 0x9E3779B97F4A7C15UL);
            x ^= x >> 33;
            x *= 0xFF51AFD7ED558CCDUL;
            x ^= x >> 33;
            x *= 0xC4CEB9FE1A85EC53UL;
            x ^= x >> 33;
            return (int)(x & 0x7FFFFFFF);
        }
    }
}
