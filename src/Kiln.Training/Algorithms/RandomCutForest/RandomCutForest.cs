using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Training.Algorithms.RandomCutForest;

/// <summary>
/// A forest of random cut trees: each tree is grown on a sample of the data by cutting a dimension chosen in
/// proportion to its range (the "random cut" that distinguishes RCF from an isolation forest) at a uniform
/// point, until every point is alone. An anomaly is isolated by few cuts, so its score — 2^(-mean depth / c(n)),
/// the isolation-forest normalisation — is near 1; ordinary points score near or below 0.5.
/// ML.NET has no random cut forest, so this one is written here, small and deterministic for a seed.
/// </summary>
public sealed class RandomCutForest
{
    [JsonInclude]
    public List<Node> Trees { get; private set; } = [];

    [JsonInclude]
    public int SampleSize { get; private set; }

    public static RandomCutForest Grow(float[][] rows, int trees, int samplesPerTree, int seed)
    {
        var random = new Random(seed);
        var sample = Math.Min(samplesPerTree, rows.Length);
        var forest = new RandomCutForest { SampleSize = sample };
        var limit = (int)Math.Ceiling(Math.Log2(Math.Max(sample, 2))) + 8;
        for (var t = 0; t < trees; t++)
        {
            var points = Enumerable.Range(0, sample).Select(_ => rows[random.Next(rows.Length)]).ToList();
            forest.Trees.Add(Build(points, random, 0, limit));
        }

        return forest;
    }

    public double Score(float[] row)
    {
        var depth = Trees.Average(tree => Depth(tree, row, 0));
        return Math.Pow(2, -depth / AveragePathLength(SampleSize));
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static RandomCutForest FromJson(string json) => JsonSerializer.Deserialize<RandomCutForest>(json)!;

    private static Node Build(List<float[]> points, Random random, int depth, int limit)
    {
        if (points.Count <= 1 || depth >= limit)
        {
            return new Node { Size = points.Count };
        }

        var width = points[0].Length;
        var low = new float[width];
        var high = new float[width];
        Array.Fill(low, float.PositiveInfinity);
        Array.Fill(high, float.NegativeInfinity);
        foreach (var point in points)
        {
            for (var d = 0; d < width; d++)
            {
                low[d] = Math.Min(low[d], point[d]);
                high[d] = Math.Max(high[d], point[d]);
            }
        }

        var total = Enumerable.Range(0, width).Sum(d => (double)(high[d] - low[d]));
        if (total <= 0)
        {
            return new Node { Size = points.Count };
        }

        // The dimension to cut, drawn in proportion to its range.
        var pick = random.NextDouble() * total;
        var dimension = 0;
        for (; dimension < width - 1; dimension++)
        {
            pick -= high[dimension] - low[dimension];
            if (pick <= 0)
            {
                break;
            }
        }

        var cut = (float)(low[dimension] + (random.NextDouble() * (high[dimension] - low[dimension])));
        var left = points.Where(point => point[dimension] <= cut).ToList();
        var right = points.Where(point => point[dimension] > cut).ToList();
        if (left.Count == 0 || right.Count == 0)
        {
            return new Node { Size = points.Count };
        }

        return new Node
        {
            Dimension = dimension,
            Cut = cut,
            Left = Build(left, random, depth + 1, limit),
            Right = Build(right, random, depth + 1, limit),
            Size = points.Count,
        };
    }

    private static double Depth(Node node, float[] row, int depth)
    {
        while (node.Left is not null && node.Right is not null)
        {
            node = row[node.Dimension] <= node.Cut ? node.Left : node.Right;
            depth++;
        }

        return depth + AveragePathLength(node.Size);
    }

    /// <summary>c(n): the average depth at which an unsuccessful search in a binary search tree of n points ends.</summary>
    private static double AveragePathLength(int n) =>
        n <= 1 ? 0 : (2 * (Math.Log(n - 1) + 0.5772156649)) - (2.0 * (n - 1) / n);

    public sealed class Node
    {
        public int Dimension { get; set; }

        public float Cut { get; set; }

        public Node? Left { get; set; }

        public Node? Right { get; set; }

        public int Size { get; set; }
    }
}
