using System.Text.Json;
using Kiln.Core.Serving;

namespace Kiln.Serving.Routing;

/// <summary>Picks the production variant for each request and, for bandits, learns from rewards.</summary>
public abstract class VariantRouter
{
    private const int Window = 1000;
    private readonly int[] _recent = new int[Window];
    private long _decisions;

    protected VariantRouter(int variants) => Variants = variants;

    public int Variants { get; }

    /// <summary>Each variant's share of the last thousand requests: the weight traffic is actually getting.</summary>
    public double[] RecentShares()
    {
        var shares = new double[Variants];
        var count = (int)Math.Min(Interlocked.Read(ref _decisions), Window);
        if (count == 0)
        {
            return shares;
        }

        for (var i = 0; i < count; i++)
        {
            shares[Volatile.Read(ref _recent[i])]++;
        }

        return shares.Select(share => share / count).ToArray();
    }

    public int Choose()
    {
        var choice = Pick();
        var slot = (int)((Interlocked.Increment(ref _decisions) - 1) % Window);
        Volatile.Write(ref _recent[slot], choice);
        return choice;
    }

    /// <summary>Records a reward in [0, 1] for a request routed to <paramref name="variant"/>; weighted routing ignores it.</summary>
    public virtual void Reward(int variant, double reward)
    {
    }

    /// <summary>The weight each variant is meant to get now (for DescribeEndpoint): set weights, or the bandit's current preference.</summary>
    public abstract double[] CurrentWeights();

    public virtual string? SaveState() => null;

    protected abstract int Pick();

    public static VariantRouter Create(RoutingStrategy strategy, IReadOnlyList<double> weights, string? savedState, int? seed = null) => strategy switch
    {
        RoutingStrategy.Weighted => new WeightedRouter(weights, seed),
        _ => new BanditRouter(strategy, weights.Count, savedState, seed),
    };
}

/// <summary>SageMaker's routing: a variant's share of traffic is its weight over the sum of weights.</summary>
public sealed class WeightedRouter(IReadOnlyList<double> weights, int? seed = null) : VariantRouter(weights.Count)
{
    private readonly double[] _cumulative = Cumulative(weights);
    private readonly Random _random = seed is { } s ? new Random(s) : Random.Shared;

    public bool HasTraffic => _cumulative[^1] > 0;

    public override double[] CurrentWeights() => [.. weights];

    protected override int Pick()
    {
        var point = NextDouble() * _cumulative[^1];
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (point < _cumulative[i])
            {
                return i;
            }
        }

        return _cumulative.Length - 1;
    }

    private double NextDouble()
    {
        if (ReferenceEquals(_random, Random.Shared))
        {
            return _random.NextDouble();
        }

        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private static double[] Cumulative(IReadOnlyList<double> weights)
    {
        var sums = new double[weights.Count];
        var total = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            total += Math.Max(0, weights[i]);
            sums[i] = total;
        }

        return sums;
    }
}

/// <summary>
/// A multi-armed bandit over the variants, learning which earns the most reward: Thompson sampling (a draw from
/// each variant's Beta posterior, highest wins), epsilon-greedy (the best mean, or a random variant one time
/// in ten), or KL-UCB (the highest success rate the evidence still allows). Rewards in [0, 1] count as fractional
/// successes. The counts are its state, saved so learning survives a restart.
/// </summary>
public sealed class BanditRouter : VariantRouter
{
    private const double Epsilon = 0.1;
    private readonly RoutingStrategy _strategy;
    private readonly double[] _successes;
    private readonly double[] _failures;
    private readonly Random _random;
    private readonly object _gate = new();

    public BanditRouter(RoutingStrategy strategy, int variants, string? savedState, int? seed = null)
        : base(variants)
    {
        _strategy = strategy;
        _successes = new double[variants];
        _failures = new double[variants];
        _random = seed is { } s ? new Random(s) : new Random();
        if (savedState is not null && JsonSerializer.Deserialize<State>(savedState) is { } state && state.Successes.Length == variants)
        {
            state.Successes.CopyTo(_successes, 0);
            state.Failures.CopyTo(_failures, 0);
        }
    }

    public override void Reward(int variant, double reward)
    {
        var clamped = Math.Clamp(reward, 0, 1);
        lock (_gate)
        {
            _successes[variant] += clamped;
            _failures[variant] += 1 - clamped;
        }
    }

    /// <summary>The bandit's preference now: each variant's share of recent requests (uniform before any).</summary>
    public override double[] CurrentWeights()
    {
        var shares = RecentShares();
        return shares.Sum() == 0 ? Enumerable.Repeat(1.0 / Variants, Variants).ToArray() : shares;
    }

    /// <summary>Takes over counts learned elsewhere: in cluster mode, the endpoint's bandit as every node shares it.</summary>
    public void Adopt(IReadOnlyList<double> successes, IReadOnlyList<double> failures)
    {
        if (successes.Count != Variants || failures.Count != Variants)
        {
            return;
        }

        lock (_gate)
        {
            for (var i = 0; i < Variants; i++)
            {
                _successes[i] = successes[i];
                _failures[i] = failures[i];
            }
        }
    }

    public (double[] Successes, double[] Failures) Counts()
    {
        lock (_gate)
        {
            return ([.. _successes], [.. _failures]);
        }
    }

    public override string SaveState()
    {
        var (successes, failures) = Counts();
        return JsonSerializer.Serialize(new State(successes, failures));
    }

    protected override int Pick()
    {
        lock (_gate)
        {
            return _strategy switch
            {
                RoutingStrategy.ThompsonSampling => Best(i => Beta(_successes[i] + 1, _failures[i] + 1)),
                RoutingStrategy.EpsilonGreedy => _random.NextDouble() < Epsilon ? _random.Next(Variants) : Best(Mean),
                _ => UpperConfidenceBound(),
            };
        }
    }

    private double Mean(int variant)
    {
        var pulls = _successes[variant] + _failures[variant];
        return pulls == 0 ? double.MaxValue : _successes[variant] / pulls;
    }

    /// <summary>
    /// KL-UCB (Garivier and Cappé, 2011): each variant's score is the largest success rate q still consistent with
    /// what it has shown — pulls × KL(mean ‖ q) ≤ ln(total pulls) — found by bisection. Unlike UCB1, whose bonus
    /// assumes the worst variance, it stays tight when rewards are rare (a 5 % conversion rate).
    /// </summary>
    private int UpperConfidenceBound()
    {
        var total = _successes.Sum() + _failures.Sum();
        var budget = Math.Log(Math.Max(total, 1));
        return Best(i =>
        {
            var pulls = _successes[i] + _failures[i];
            if (pulls == 0)
            {
                return double.MaxValue;
            }

            var mean = _successes[i] / pulls;
            double low = mean, high = 1;
            for (var step = 0; step < 32; step++)
            {
                var q = (low + high) / 2;
                if (pulls * BernoulliKl(mean, q) > budget)
                {
                    high = q;
                }
                else
                {
                    low = q;
                }
            }

            return low;
        });
    }

    private static double BernoulliKl(double p, double q)
    {
        const double Tiny = 1e-12;
        p = Math.Clamp(p, Tiny, 1 - Tiny);
        q = Math.Clamp(q, Tiny, 1 - Tiny);
        return (p * Math.Log(p / q)) + ((1 - p) * Math.Log((1 - p) / (1 - q)));
    }

    private int Best(Func<int, double> score)
    {
        var best = 0;
        var bestScore = double.MinValue;
        for (var i = 0; i < Variants; i++)
        {
            var value = score(i);
            if (value > bestScore)
            {
                best = i;
                bestScore = value;
            }
        }

        return best;
    }

    private double Beta(double alpha, double beta)
    {
        var x = Gamma(alpha);
        var y = Gamma(beta);
        return x / (x + y);
    }

    /// <summary>Marsaglia and Tsang's method; shape below one boosted by the usual U^(1/shape) trick.</summary>
    private double Gamma(double shape)
    {
        if (shape < 1)
        {
            return Gamma(shape + 1) * Math.Pow(_random.NextDouble(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal();
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = _random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private double Normal()
    {
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private sealed record State(double[] Successes, double[] Failures);
}

/// <summary>How a bandit's state is kept in the serving store: the endpoint config and variants it learned for, and the router's counts.</summary>
public static class SavedBandit
{
    public static string Write(string config, IReadOnlyList<string> variants, string? router) =>
        JsonSerializer.Serialize(new Saved(config, [.. variants], router));

    /// <summary>The router's saved counts, when <paramref name="json"/> was saved for the same config and variants.</summary>
    public static string? Read(string? json, string config, IReadOnlyList<string> variants)
    {
        if (json is null)
        {
            return null;
        }

        var saved = JsonSerializer.Deserialize<Saved>(json);
        return saved is not null && saved.Config == config && saved.Variants.SequenceEqual(variants) ? saved.Router : null;
    }

    private sealed record Saved(string Config, List<string> Variants, string? Router);
}
