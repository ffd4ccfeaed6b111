namespace Kiln.Clarify.Explainability;

/// <summary>
/// Chooses Kernel SHAP's coalitions and their Shapley kernel weights the way the shap package does: coalition sizes
/// are visited from the outside in (1 and M−1, then 2 and M−2, ...); a size whose share of the sample budget covers
/// all its coalitions is enumerated exactly with weight ∝ (M−1)/(s(M−s)) spread over them, and the rest of the budget
/// draws random coalitions (with their complements) of the remaining sizes, repeats adding weight. Seeded, so
/// deterministic.
/// </summary>
public static class CoalitionPlan
{
    /// <summary>shap's default budget when num_samples is not given.</summary>
    public static int DefaultSamples(int features) => (2 * features) + 2048;

    public static IReadOnlyList<Coalition> Create(int features, int samples, int seed)
    {
        if (features < 2)
        {
            return [];
        }
        var maxCoalitions = features >= 31 ? long.MaxValue : (1L << features) - 2;
        var budget = (int)Math.Min(samples, maxCoalitions);
        var sizes = features / 2;
        var pairedSizes = (features - 1) / 2;
        var weights = new double[sizes + 1];
        for (var s = 1; s <= sizes; s++)
        {
            weights[s] = (features - 1.0) / (s * (double)(features - s)) * (s <= pairedSizes ? 2 : 1);
        }
        var total = weights.Sum();
        for (var s = 1; s <= sizes; s++)
        {
            weights[s] /= total;
        }

        var plan = new List<Coalition>();
        var left = budget;
        var remaining = (double[])weights.Clone();
        var fullSizes = 0;
        for (var s = 1; s <= sizes; s++)
        {
            var count = Binomial(features, s) * (s <= pairedSizes ? 2 : 1);
            if (left * remaining[s] / count < 1.0 - 1e-8)
            {
                break;
            }
            fullSizes++;
            left -= (int)count;
            if (remaining[s] < 1.0)
            {
                var scale = 1 - remaining[s];
                for (var t = 1; t <= sizes; t++)
                {
                    remaining[t] /= scale;
                }
            }
            var w = weights[s] / Binomial(features, s) / (s <= pairedSizes ? 2 : 1);
            foreach (var members in Subsets(features, s))
            {
                plan.Add(new Coalition(members, w));
                if (s <= pairedSizes)
                {
                    plan.Add(new Coalition(Complement(members), w));
                }
            }
        }
        if (fullSizes < sizes && left > 0)
        {
            Sample(plan, features, sizes, pairedSizes, fullSizes, weights, left, seed);
        }
        return plan;
    }

    private static void Sample(List<Coalition> plan, int features, int sizes, int pairedSizes, int fullSizes, double[] weights, int left, int seed)
    {
        var fixedCount = plan.Count;
        var random = new Random(seed);
        var sizeWeights = Enumerable.Range(fullSizes + 1, sizes - fullSizes)
            .Select(s => weights[s] / (s <= pairedSizes ? 2 : 1)).ToArray();
        var sizeTotal = sizeWeights.Sum();
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = Enumerable.Range(0, features).ToArray();
        var draws = 4 * left;
        for (var draw = 0; left > 0 && draw < draws; draw++)
        {
            var size = fullSizes + 1 + Pick(sizeWeights, sizeTotal, random.NextDouble());
            random.Shuffle(order);
            var members = new bool[features];
            for (var i = 0; i < size; i++)
            {
                members[order[i]] = true;
            }
            var key = new string([.. members.Select(m => m ? '1' : '0')]);
            var isNew = !used.TryGetValue(key, out var at);
            if (isNew)
            {
                used[key] = plan.Count;
                plan.Add(new Coalition(members, 1));
                left--;
            }
            else
            {
                plan[at].Weight += 1;
            }
            if (left > 0 && size <= pairedSizes)
            {
                if (isNew)
                {
                    plan.Add(new Coalition(Complement(members), 1));
                    left--;
                }
                else
                {
                    plan[at + 1].Weight += 1;
                }
            }
        }
        var weightLeft = weights.Skip(fullSizes + 1).Sum();
        var sampled = plan.Skip(fixedCount).Sum(c => c.Weight);
        foreach (var coalition in plan.Skip(fixedCount))
        {
            coalition.Weight *= weightLeft / sampled;
        }
    }

    private static int Pick(double[] weights, double total, double u)
    {
        var target = u * total;
        for (var i = 0; i < weights.Length; i++)
        {
            target -= weights[i];
            if (target < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }

    private static bool[] Complement(bool[] members) => [.. members.Select(m => !m)];

    private static double Binomial(int n, int k)
    {
        var result = 1.0;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }
        return Math.Round(result);
    }

    private static IEnumerable<bool[]> Subsets(int n, int k)
    {
        var index = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            var members = new bool[n];
            foreach (var i in index)
            {
                members[i] = true;
            }
            yield return members;
            var j = k - 1;
            while (j >= 0 && index[j] == n - k + j)
            {
                j--;
            }
            if (j < 0)
            {
                yield break;
            }
            index[j]++;
            for (var t = j + 1; t < k; t++)
            {
                index[t] = index[t - 1] + 1;
            }
        }
    }
}
