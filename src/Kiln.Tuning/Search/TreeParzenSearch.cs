namespace Kiln.Tuning.Search;

/// <summary>
/// Bayesian search by the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl, "Algorithms for
/// Hyper-Parameter Optimization", NeurIPS 2011), in its multivariate form (Falkner et al. 2018; Optuna's
/// <c>multivariate=True</c>):
/// <list type="number">
/// <item>the first trials are drawn at random, to see the space;</item>
/// <item>then the observations are split into the best quarter ("good", at most 25) and the rest ("bad");</item>
/// <item>each group becomes a density over the unit cube: a mixture with one component per observation (a
/// Gaussian truncated to [0, 1] per numeric coordinate, a peaked distribution per categorical one) plus a flat
/// prior component;</item>
/// <item>24 candidates are drawn from the good density, and the one with the largest ratio good/bad — the
/// point most likely to beat the current quarter — is tried next.</item>
/// </list>
/// Every draw comes from a generator seeded by the job's seed and the trial's index, so a seed replays the same
/// search when the trials finish in the same order (always, with one trial at a time).
/// </summary>
internal sealed class TreeParzenSearch : ISearchStrategy
{
    private const int Candidates = 24;
    private const int MaxGood = 25;
    private const double GoodFraction = 0.25;
    private const double PriorWeight = 1.0;

    private readonly ParameterSpace _space;
    private readonly int _seed;
    private readonly int _startup;
    private readonly List<(double[] Point, double Loss)> _observations = [];
    private int _suggested;

    public TreeParzenSearch(ParameterSpace space, int seed, int budget)
    {
        _space = space;
        _seed = seed;
        // A tenth of the budget (3 to 10 trials) explores at random before the model has anything to go on.
        _startup = Math.Clamp((int)Math.Ceiling(budget * 0.1), 3, 10);
    }

    public double[]? Suggest()
    {
        var random = new Random(Seeds.Mix(_seed, _suggested++, 0x7e5));
        var observed = _observations.Where(o => !double.IsNaN(o.Loss)).ToList();
        if (observed.Count < _startup)
        {
            return SearchStrategy.Uniform(_space, random);
        }

        var ranked = observed.OrderBy(o => o.Loss).ToList();
        var goodCount = Math.Clamp((int)Math.Ceiling(GoodFraction * ranked.Count), 1, MaxGood);
        var good = ranked.Take(goodCount).Select(o => o.Point).ToList();
        var bad = ranked.Skip(goodCount).Select(o => o.Point).ToList();
        var goodDensity = new ParzenDensity(_space, good);
        var badDensity = new ParzenDensity(_space, bad);

        double[]? best = null;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var candidate = goodDensity.Sample(random);
            var score = goodDensity.LogDensity(candidate) - badDensity.LogDensity(candidate);
            if (score > bestScore)
            {
                best = candidate;
                bestScore = score;
            }
        }

        return best;
    }

    public void Observe(double[] point, double loss) => _observations.Add((point, loss));

    /// <summary>
    /// A mixture over the unit cube: one product kernel per observed point, and a flat prior. The bandwidth
    /// shrinks with the number of points as n^(−1/(d+4)) (Scott's rule), with 0.2 of the cube at one point.
    /// </summary>
    private sealed class ParzenDensity
    {
        private const double MinimumBandwidth = 0.01;

        private readonly ParameterSpace _space;
        private readonly List<double[]> _centers;
        private readonly double _bandwidth;

        public ParzenDensity(ParameterSpace space, List<double[]> centers)
        {
            _space = space;
            _centers = centers;
            _bandwidth = Math.Max(MinimumBandwidth, 0.2 * Math.Pow(Math.Max(1, centers.Count), -1.0 / (space.Dimensions + 4)));
        }

        private double TotalWeight => _centers.Count + PriorWeight;

        public double[] Sample(Random random)
        {
            var pick = random.NextDouble() * TotalWeight;
            var center = pick < _centers.Count ? _centers[(int)pick] : null;
            var point = new double[_space.Dimensions];
            for (var d = 0; d < point.Length; d++)
            {
                if (_space.IsCategorical(d))
                {
                    var categories = _space.Categories(d);
                    point[d] = center is not null && random.NextDouble() < 0.5 + (0.5 / categories) ? center[d] : random.Next(categories);
                }
                else
                {
                    point[d] = center is null ? random.NextDouble() : TruncatedNormal(random, center[d], _bandwidth);
                }
            }

            return point;
        }

        /// <summary>log of the mixture density at <paramref name="point"/> (prior component included).</summary>
        public double LogDensity(double[] point)
        {
            // log Σ w_i Π_d k_d, summed stably in log space.
            var terms = new double[_centers.Count + 1];
            for (var i = 0; i < _centers.Count; i++)
            {
                var log = 0.0;
                for (var d = 0; d < point.Length; d++)
                {
                    log += _space.IsCategorical(d)
                        ? Math.Log(CategoricalKernel(point[d], _centers[i][d], _space.Categories(d)))
                        : LogTruncatedNormal(point[d], _centers[i][d], _bandwidth);
                }

                terms[i] = log;
            }

            // The flat prior: density 1 on the cube for numeric coordinates, 1/k for each categorical one.
            terms[^1] = Math.Log(PriorWeight) + Enumerable.Range(0, point.Length).Where(_space.IsCategorical).Sum(d => -Math.Log(_space.Categories(d)));
            var max = terms.Max();
            return max + Math.Log(terms.Sum(term => Math.Exp(term - max))) - Math.Log(TotalWeight);
        }

        /// <summary>Half the mass on the observed value, the rest spread evenly over all values.</summary>
        private static double CategoricalKernel(double value, double center, int categories) =>
            ((Math.Abs(value - center) < 0.5 ? 1.0 : 0.0) + (1.0 / categories)) / 2;

        private static double TruncatedNormal(Random random, double mean, double sigma)
        {
            for (var attempt = 0; attempt < 32; attempt++)
            {
                var u1 = 1 - random.NextDouble();
                var u2 = random.NextDouble();
                var x = mean + (sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                if (x is >= 0 and <= 1)
                {
                    return x;
                }
            }

            return Math.Clamp(mean, 0, 1);
        }

        private static double LogTruncatedNormal(double x, double mean, double sigma)
        {
            var z = (x - mean) / sigma;
            var mass = Phi((1 - mean) / sigma) - Phi(-mean / sigma);
            return (-0.5 * z * z) - Math.Log(sigma * Math.Sqrt(2 * Math.PI) * Math.Max(mass, 1e-12));
        }

        private static double Phi(double z) => 0.5 * (1 + Erf(z / Math.Sqrt(2)));

        /// <summary>Abramowitz and Stegun 7.1.26 (error below 1.5e-7), enough for kernel normalisation.</summary>
        private static double Erf(double x)
        {
            var sign = Math.Sign(x);
            x = Math.Abs(x);
            var t = 1 / (1 + (0.3275911 * x));
            var polynomial = ((((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t) - 0.284496736) * t) + 0.254829592) * t;
            var y = 1 - (polynomial * Math.Exp(-x * x));
            return sign * y;
        }
    }
}
