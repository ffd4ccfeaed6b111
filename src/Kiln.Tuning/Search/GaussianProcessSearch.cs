using Kiln.Core.Tuning;

namespace Kiln.Tuning.Search;

/// <summary>
/// Bayesian search with a Gaussian process and expected improvement (Snoek, Larochelle and Adams, "Practical
/// Bayesian Optimization of Machine Learning Algorithms", NeurIPS 2012), the method SageMaker documents for its
/// Bayesian strategy:
/// <list type="number">
/// <item>the first trials are drawn at random, to see the space;</item>
/// <item>then the losses, standardised, are modelled by a Gaussian process over the unit cube with a Matérn 5/2
/// kernel, one length scale per coordinate (a categorical coordinate counts as distance 1 when the values differ);
/// the length scales, amplitude and noise are the most probable of a seeded sample under a log-normal prior;</item>
/// <item>the next trial is the point of largest expected improvement over the best loss so far: the best of
/// uniform draws over the cube and draws near the best trials, each of the top few then climbed by a local search
/// in ever smaller steps (a random-restart hill climb of the acquisition, as SMAC does), since a few thousand
/// draws in five or more dimensions land only near its peak.</item>
/// </list>
/// Trials still running count as observed at the model's mean (the "kriging believer"), so two trials started at
/// once are not the same point. Every draw comes from a generator seeded by the job's seed and the trial's index.
/// </summary>
internal sealed class GaussianProcessSearch : ISearchStrategy
{
    private const int UniformCandidates = 1500;
    private const int LocalCandidates = 1500;
    private const int LocalCenters = 5;
    private const double LocalSpread = 0.08;

    // The acquisition's local search: from the best few candidates, rounds of perturbations that shrink in size,
    // each round keeping whatever raised the expected improvement.
    private const int ClimbStarts = 8;
    private const int ClimbStepsPerRound = 32;
    private static readonly double[] ClimbSpreads = [0.04, 0.02, 0.01];

    // Fitting costs O(n³) per hyperparameter sample; past this many trials the model sees the best half and a
    // seeded sample of the rest, which bounds the time of a suggestion in jobs of hundreds of trials.
    private const int MaxModelPoints = 128;

    private readonly ParameterSpace _space;
    private readonly int _seed;
    private readonly int _startup;
    private readonly List<(double[] Point, double Loss)> _observations = [];
    private readonly List<double[]> _pending = [];
    private int _suggested;

    public GaussianProcessSearch(ParameterSpace space, int seed, int budget)
    {
        _space = space;
        _seed = seed;
        // A tenth of the budget (3 to 10 trials) explores at random before the model has anything to go on.
        _startup = Math.Clamp((int)Math.Ceiling(budget * 0.1), 3, 10);
    }

    public double[]? Suggest()
    {
        var random = new Random(Seeds.Mix(_seed, _suggested++, 0x7e5));
        var observed = _observations.Where(o => double.IsFinite(o.Loss)).ToList();
        // Running trials count towards the start-up, so trials run in parallel do not add random ones.
        var point = observed.Count + _pending.Count < _startup || observed.Count < 2
            ? Snap(SearchStrategy.Uniform(_space, random))
            : Maximize(Subset(observed, random), random);
        _pending.Add(point);
        return point;
    }

    public void Replay(double[]? point)
    {
        _suggested++;
        if (point is not null)
        {
            _pending.Add(point);
        }
    }

    public void Observe(double[] point, double loss)
    {
        // The trial's values map back to the suggested point (integers were snapped), up to rounding; a point that
        // matches nothing pending is a warm start's parent trial.
        if (_pending.Count > 0 && _pending.MinBy(p => SquaredDistance(p, point)) is { } nearest && SquaredDistance(nearest, point) < 1e-12)
        {
            _pending.Remove(nearest);
        }

        _observations.Add((point, loss));
    }

    /// <summary>
    /// Draws of the kernel's hyperparameters for a fit of <paramref name="points"/>: 192 up to 10 points, where the
    /// likelihood is flat and the draw matters most, then fewer (24 from 28 points on), as each costs O(n³) and the
    /// fit lies on the tuner's path from one trial's end to the next one's start.
    /// </summary>
    private static int HyperparameterSamples(int points) => Math.Clamp(192 * 10 * 10 / Math.Max(1, points * points), 24, 192);

    private static List<(double[] Point, double Loss)> Subset(List<(double[] Point, double Loss)> observed, Random random)
    {
        if (observed.Count <= MaxModelPoints)
        {
            return observed;
        }

        var ranked = observed.OrderBy(o => o.Loss).ToList();
        var rest = ranked.Skip(MaxModelPoints / 2).OrderBy(_ => random.Next()).Take(MaxModelPoints / 2);
        return [.. ranked.Take(MaxModelPoints / 2), .. rest];
    }

    private double[] Maximize(List<(double[] Point, double Loss)> observed, Random random)
    {
        var mean = observed.Average(o => o.Loss);
        var spread = Math.Sqrt(observed.Average(o => (o.Loss - mean) * (o.Loss - mean)));
        if (spread < 1e-12)
        {
            spread = 1;
        }

        var points = observed.Select(o => o.Point).ToList();
        var targets = observed.Select(o => (o.Loss - mean) / spread).ToList();
        var model = GaussianProcess.Fit(_space, points, targets, random, HyperparameterSamples(points.Count));
        if (_pending.Count > 0)
        {
            // The kriging believer: a running trial's outcome is taken to be what the model expects there.
            var believed = model.Predict(_pending).Mean;
            model = model.Refit([.. points, .. _pending], [.. targets, .. believed]);
        }

        var incumbent = targets.Min();
        var centers = observed.OrderBy(o => o.Loss).Take(LocalCenters).Select(o => o.Point).ToList();
        var candidates = new double[UniformCandidates + LocalCandidates][];
        for (var c = 0; c < candidates.Length; c++)
        {
            candidates[c] = Snap(c < UniformCandidates ? SearchStrategy.Uniform(_space, random) : Near(centers[c % centers.Count], LocalSpread, changeCategories: true, random));
        }

        var improvements = ExpectedImprovements(model, incumbent, candidates);
        var starts = Enumerable.Range(0, candidates.Length).OrderByDescending(c => improvements[c]).Take(ClimbStarts);
        return starts
            .Select(c => Climb(model, incumbent, candidates[c], improvements[c], random))
            .MaxBy(climbed => climbed.Improvement)
            .Point;
    }

    private (double[] Point, double Improvement) Climb(GaussianProcess model, double incumbent, double[] point, double improvement, Random random)
    {
        foreach (var spread in ClimbSpreads)
        {
            var steps = new double[ClimbStepsPerRound][];
            for (var s = 0; s < steps.Length; s++)
            {
                steps[s] = Snap(Near(point, spread, changeCategories: false, random));
            }

            var stepImprovements = ExpectedImprovements(model, incumbent, steps);
            for (var s = 0; s < steps.Length; s++)
            {
                if (stepImprovements[s] > improvement)
                {
                    (point, improvement) = (steps[s], stepImprovements[s]);
                }
            }
        }

        return (point, improvement);
    }

    private static double[] ExpectedImprovements(GaussianProcess model, double incumbent, double[][] points)
    {
        var (means, variances) = model.Predict(points);
        var improvements = new double[points.Length];
        for (var p = 0; p < points.Length; p++)
        {
            improvements[p] = ExpectedImprovement(incumbent, means[p], Math.Sqrt(Math.Max(variances[p], 1e-12)));
        }

        return improvements;
    }

    /// <summary>
    /// A Gaussian step of <paramref name="spread"/> from <paramref name="center"/> in the numeric coordinates; each
    /// category is kept, or with <paramref name="changeCategories"/> redrawn one time in five.
    /// </summary>
    private double[] Near(double[] center, double spread, bool changeCategories, Random random)
    {
        var point = new double[center.Length];
        for (var d = 0; d < point.Length; d++)
        {
            point[d] = _space.IsCategorical(d)
                ? (!changeCategories || random.NextDouble() < 0.8 ? center[d] : random.Next(_space.Categories(d)))
                : Math.Clamp(center[d] + (spread * StandardNormal.Sample(random)), 0, 1);
        }

        return point;
    }

    /// <summary>Integer coordinates moved onto the values a trial can take, so the model scores the point that runs.</summary>
    private double[] Snap(double[] point)
    {
        for (var d = 0; d < point.Length; d++)
        {
            var range = _space.Ranges[d];
            if (range.Kind == ParameterKind.Integer)
            {
                point[d] = ParameterSpace.ToUnit(range, Math.Round(ParameterSpace.FromUnit(range, point[d])));
            }
        }

        return point;
    }

    private static double ExpectedImprovement(double incumbent, double mean, double sigma)
    {
        var z = (incumbent - mean) / sigma;
        return ((incumbent - mean) * StandardNormal.Cdf(z)) + (sigma * StandardNormal.Pdf(z));
    }

    private static double SquaredDistance(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var d = 0; d < a.Length; d++)
        {
            sum += (a[d] - b[d]) * (a[d] - b[d]);
        }

        return sum;
    }
}
