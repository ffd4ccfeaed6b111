using Kiln.Training.Data;

namespace Kiln.Training.Tests.Data;

public sealed class TargetEncodingTests
{
    private static readonly FeatureOptions Target = FeatureOptions.For(Imputation.None, "target");

    /// <summary>A table with an ID-like column (a value per two rows), a low-cardinality column, and a numeric target.</summary>
    private static RawTable Table(Func<int, double> target, int rows = 200)
    {
        var table = new RawTable(["id", "size", "y"]);
        for (var i = 0; i < rows; i++)
        {
            table.Add([$"u{i / 2}", i % 3 == 0 ? "small" : "large", target(i)], new RowSource("t.csv", i + 2));
        }

        return table;
    }

    [Fact]
    public void High_cardinality_columns_are_target_encoded_and_low_ones_stay_one_hot()
    {
        var encoder = FeatureEncoder.Fit(Table(i => i), "y", classification: false, Target);
        Assert.NotNull(encoder.Columns[0].TargetMeans);
        Assert.Null(encoder.Columns[1].TargetMeans);
        Assert.Equal(1 + 2, encoder.FeatureCount);

        // Served rows use the smoothed mean of all training rows: u0 holds rows 0 and 1 (targets 0 and 1).
        var prior = Enumerable.Range(0, 200).Average();
        Assert.Equal((0 + 1 + (FeatureEncoder.TargetSmoothing * prior)) / (2 + FeatureEncoder.TargetSmoothing), encoder.EncodeCells(["u0", "small"])[0], 3);
        Assert.Equal(prior, encoder.EncodeCells(["never-seen", "small"])[0], 3);
        Assert.Equal(prior, encoder.EncodeCells([null, "small"])[0], 3);
    }

    /// <summary>
    /// The leakage check: change one row's own target and its training encoding must not move (its value comes from
    /// the other folds only), while the encoding fitted on all rows, used for validation and serving, does move.
    /// </summary>
    [Fact]
    public void A_training_rows_encoding_never_uses_its_own_target()
    {
        var baseline = Table(i => i % 7);
        var encoder = FeatureEncoder.Fit(baseline, "y", classification: false, Target);
        var before = encoder.EncodeTraining(baseline).Features;
        for (var row = 0; row < 200; row += 17)
        {
            var changed = Table(i => i == row ? 1000 : i % 7);
            var refitted = FeatureEncoder.Fit(changed, "y", classification: false, Target);
            var after = refitted.EncodeTraining(changed).Features;
            Assert.Equal(before[row][0], after[row][0]);
            Assert.NotEqual(encoder.Encode(baseline).Features[row][0], refitted.Encode(changed).Features[row][0]);
        }
    }

    [Fact]
    public void Out_of_fold_encoding_of_an_id_column_carries_no_signal()
    {
        // The target is pure noise; an ID column encoded in-fold would predict it well, out-of-fold it cannot.
        var random = new Random(11);
        var noise = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        var table = Table(i => noise[i], rows: 2000);
        var encoder = FeatureEncoder.Fit(table, "y", classification: false, Target);
        var (features, labels) = encoder.EncodeTraining(table);
        var inFold = encoder.Encode(table).Features;
        Assert.InRange(Correlation(features.Select(f => (double)f[0]).ToArray(), labels), -0.1, 0.1);
        Assert.True(Correlation(inFold.Select(f => (double)f[0]).ToArray(), labels) > 0.3);
    }

    [Fact]
    public void Binary_targets_encode_the_second_class_share_and_multiclass_keeps_one_hot()
    {
        var table = new RawTable(["id", "label"]);
        for (var i = 0; i < 100; i++)
        {
            table.Add([$"u{i % 40}", i % 40 < 20 ? "yes" : "no"], new RowSource("t.csv", i + 2));
        }

        var binary = FeatureEncoder.Fit(table, "label", classification: true, Target);
        Assert.True(binary.EncodeCells(["u1"])[0] > binary.EncodeCells(["u30"])[0]);

        var multi = new RawTable(["id", "label"]);
        for (var i = 0; i < 100; i++)
        {
            multi.Add([$"u{i % 40}", $"c{i % 3}"], new RowSource("t.csv", i + 2));
        }

        Assert.Null(FeatureEncoder.Fit(multi, "label", classification: true, Target).Columns[0].TargetMeans);
    }

    private static double Correlation(double[] x, float[] y)
    {
        var mx = x.Average();
        var my = y.Average();
        var cov = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
        return cov / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
    }
}
