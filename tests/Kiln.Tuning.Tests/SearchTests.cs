using Kiln.Core.Tuning;
using Kiln.Tuning.Search;

namespace Kiln.Tuning.Tests;

public sealed class SearchTests
{
    private static readonly ParameterSpace Space = new(
    [
        new ParameterRange("eta", ParameterKind.Continuous, 1e-4, 1, ScalingType.Logarithmic),
        new ParameterRange("depth", ParameterKind.Integer, 2, 10),
        new ParameterRange("booster", ParameterKind.Categorical, Values: ["gbtree", "dart", "gblinear"]),
    ]);

    /// <summary>A bowl in the scaled space, best at eta = 0.1, depth 6, booster dart.</summary>
    private static double Loss(Dictionary<string, string> values)
    {
        var eta = Math.Log10(double.Parse(values["eta"], System.Globalization.CultureInfo.InvariantCulture)) + 1;
        var depth = (int.Parse(values["depth"], System.Globalization.CultureInfo.InvariantCulture) - 6) / 4.0;
        return (eta * eta) + (depth * depth) + (values["booster"] == "dart" ? 0 : 0.5);
    }

    [Fact]
    public void Values_map_back_to_their_points()
    {
        var values = new Dictionary<string, string> { ["eta"] = "0.01", ["depth"] = "7", ["booster"] = "dart" };
        var point = Space.Point(values)!;
        Assert.Equal(0.5, point[0], 6); // 0.01 is halfway between 1e-4 and 1 in the exponent
        var back = Space.Values(point);
        Assert.Equal(0.01, double.Parse(back["eta"], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(("7", "dart"), (back["depth"], back["booster"]));
        Assert.Null(Space.Point(new Dictionary<string, string> { ["eta"] = "5", ["depth"] = "7", ["booster"] = "dart" }));
        Assert.Null(Space.Point(new Dictionary<string, string> { ["eta"] = "0.1", ["depth"] = "7", ["booster"] = "linear" }));
    }

    [Fact]
    public void Reverse_logarithmic_scaling_crowds_values_near_one()
    {
        var range = new ParameterRange("momentum", ParameterKind.Continuous, 0, 0.999, ScalingType.ReverseLogarithmic);
        Assert.Equal(0, ParameterSpace.FromUnit(range, 0), 9);
        Assert.Equal(0.999, ParameterSpace.FromUnit(range, 1), 9);
        Assert.True(ParameterSpace.FromUnit(range, 0.5) > 0.9);
        Assert.Equal(0.7, ParameterSpace.ToUnit(range, ParameterSpace.FromUnit(range, 0.7)), 9);
    }

    [Fact]
    public void Grid_search_enumerates_every_combination_once()
    {
        var grid = new GridSearch(new ParameterSpace([new ParameterRange("depth", ParameterKind.Integer, 3, 5), new ParameterRange("booster", ParameterKind.Categorical, Values: ["a", "b"])]));
        var seen = new List<string>();
        while (grid.Suggest() is { } point)
        {
            var values = new ParameterSpace([new ParameterRange("depth", ParameterKind.Integer, 3, 5), new ParameterRange("booster", ParameterKind.Categorical, Values: ["a", "b"])]).Values(point);
            seen.Add(values["depth"] + values["booster"]);
        }

        Assert.Equal(["3a", "3b", "4a", "4b", "5a", "5b"], seen);
    }

    [Theory]
    [InlineData(TuningStrategies.Random)]
    [InlineData(TuningStrategies.Bayesian)]
    public void A_seed_replays_the_same_search(string strategy)
    {
        Assert.Equal(Run(strategy, seed: 3, trials: 20).Points, Run(strategy, seed: 3, trials: 20).Points);
        Assert.NotEqual(Run(strategy, seed: 3, trials: 20).Points, Run(strategy, seed: 4, trials: 20).Points);
    }

    [Fact]
    public void Bayesian_search_beats_random_search_on_most_seeds()
    {
        var wins = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            if (Run(TuningStrategies.Bayesian, seed, 40).Best < Run(TuningStrategies.Random, seed, 40).Best)
            {
                wins++;
            }
        }

        Assert.True(wins >= 15, $"Bayesian search beat random search on only {wins} of 20 seeds");
    }

    [Fact]
    public void Bayesian_search_settles_on_truly_better_trials_than_random_search_through_noise()
    {
        // Noise of variance 4 against about 7 for the loss over the space: 37 % of what is observed, as retraining
        // with another seed gives the tuning benchmark's AUC. The second half of the trials should still be truly
        // better than random ones. A hundred seeds, because twenty are too few to tell a 70 % win rate from 60 %:
        // 65 is three standard deviations above what a search no better than random would reach.
        const int seeds = 100;
        var wins = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            if (Run(TuningStrategies.Bayesian, seed, 40, noise: 2).LaterTrueLoss < Run(TuningStrategies.Random, seed, 40, noise: 2).LaterTrueLoss)
            {
                wins++;
            }
        }

        Assert.True(wins >= 65, $"Bayesian search's later trials were truly better than random search's on only {wins} of {seeds} seeds");
    }

    [Fact]
    public void Bayesian_search_homes_in_on_a_smooth_optimum_in_five_dimensions()
    {
        // In five dimensions the nearest of the 1,500 uniform candidates is typically some 0.15 of the cube from a
        // given point; the acquisition's local search is what takes a suggestion closer. With it the median below is
        // 0.010, without it 0.019.
        var space = new ParameterSpace([.. Enumerable.Range(0, 5).Select(d => new ParameterRange($"x{d}", ParameterKind.Continuous, 0, 1))]);
        var bests = new List<double>();
        for (var seed = 0; seed < 40; seed++)
        {
            var search = SearchStrategy.Create(TuningStrategies.Bayesian, space, seed, budget: 40);
            var best = double.PositiveInfinity;
            for (var i = 0; i < 25; i++)
            {
                var point = search.Suggest()!;
                var loss = point.Select((x, d) => (x - 0.3 - (0.1 * d)) * (x - 0.3 - (0.1 * d))).Sum();
                best = Math.Min(best, loss);
                search.Observe(point, loss);
            }

            bests.Add(best);
        }

        bests.Sort();
        var median = (bests[19] + bests[20]) / 2;
        Assert.True(median < 0.013, $"median best squared distance from the optimum after 25 trials: {median}");
    }

    [Fact]
    public void A_running_trial_is_not_suggested_again()
    {
        var search = AfterTrials(TuningStrategies.Bayesian, seed: 5, trials: 12);

        // Two trials started at once: the second is proposed while the first is still running.
        var first = Space.Values(search.Suggest()!);
        var second = Space.Values(search.Suggest()!);
        Assert.NotEqual(first, second);
        Assert.Equal(first, Space.Values(AfterTrials(TuningStrategies.Bayesian, seed: 5, trials: 12).Suggest()!));
    }

    [Theory]
    [InlineData(TuningStrategies.Random)]
    [InlineData(TuningStrategies.Bayesian)]
    public void A_restarted_search_goes_on_where_it_stopped(string strategy)
    {
        var search = SearchStrategy.Create(strategy, Space, seed: 7, budget: 40);
        var history = new List<(double[] Point, double Loss)>();
        for (var i = 0; i < 12; i++)
        {
            // As the runner does: a trial's point is read back from its hyperparameter values.
            var point = Space.Point(Space.Values(search.Suggest()!))!;
            history.Add((point, Loss(Space.Values(point))));
            search.Observe(point, history[^1].Loss);
        }

        // After a restart the runner replays every trial, then tells the strategy the results of those that finished.
        var restarted = SearchStrategy.Create(strategy, Space, seed: 7, budget: 40);
        foreach (var (point, _) in history)
        {
            restarted.Replay(point);
        }

        foreach (var (point, loss) in history)
        {
            restarted.Observe(point, loss);
        }

        Assert.Equal(Space.Values(search.Suggest()!), Space.Values(restarted.Suggest()!));
    }

    [Fact]
    public void Bayesian_suggestions_land_on_integer_values()
    {
        var search = SearchStrategy.Create(TuningStrategies.Bayesian, Space, seed: 2, budget: 30);
        var depth = Space.Ranges[1];
        for (var i = 0; i < 30; i++)
        {
            var point = search.Suggest()!;
            var value = ParameterSpace.FromUnit(depth, point[1]);
            Assert.Equal(Math.Round(value), value, 9);
            search.Observe(point, Loss(Space.Values(point)));
        }
    }

    [Fact]
    public void Bayesian_search_keeps_suggesting_past_its_model_size()
    {
        var search = SearchStrategy.Create(TuningStrategies.Bayesian, Space, seed: 1, budget: 200);
        var best = double.PositiveInfinity;
        for (var i = 0; i < 200; i++)
        {
            var point = search.Suggest()!;
            var loss = Loss(Space.Values(point));
            best = Math.Min(best, loss);
            search.Observe(point, loss);
        }

        Assert.True(best < 0.01, $"best loss {best} after 200 trials of a bowl");
    }

    /// <summary>A search of budget 40 that has suggested and observed <paramref name="trials"/> trials, one at a time.</summary>
    private static ISearchStrategy AfterTrials(string strategy, int seed, int trials)
    {
        var search = SearchStrategy.Create(strategy, Space, seed, budget: 40);
        for (var i = 0; i < trials; i++)
        {
            var point = search.Suggest()!;
            search.Observe(point, Loss(Space.Values(point)));
        }

        return search;
    }

    /// <summary>
    /// A search of <paramref name="trials"/> trials of the bowl, each observed with Gaussian noise of standard
    /// deviation <paramref name="noise"/>: the points, the best loss observed, and the mean true loss of the second half.
    /// </summary>
    private static (List<string> Points, double Best, double LaterTrueLoss) Run(string strategy, int seed, int trials, double noise = 0)
    {
        var search = SearchStrategy.Create(strategy, Space, seed, trials);
        var random = new Random(seed);
        var points = new List<string>();
        var best = double.PositiveInfinity;
        var later = 0.0;
        for (var i = 0; i < trials; i++)
        {
            var point = search.Suggest()!;
            var values = Space.Values(point);
            var loss = Loss(values);
            var observed = loss + (noise * StandardNormal.Sample(random));
            best = Math.Min(best, observed);
            if (i >= trials / 2)
            {
                later += loss / (trials - (trials / 2));
            }

            points.Add(string.Join(",", values.Values));
            search.Observe(point, observed);
        }

        return (points, best, later);
    }
}
