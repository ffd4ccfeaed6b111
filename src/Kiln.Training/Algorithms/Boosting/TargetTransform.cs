using Kiln.Core.Training;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// A transform of a regression target, fitted on the training labels and saved with the model so that predictions
/// are turned back into the target's own scale: <c>log1p</c> (log(1 + y), for non-negative skewed targets such as
/// prices) or <c>yeo-johnson</c> (a power transform for any sign, its λ chosen by maximum likelihood as scipy and
/// scikit-learn's PowerTransformer do, without their standardization). Trees fitted on the transformed target
/// minimise a relative rather than an absolute error, which is what wins on long-tailed targets.
/// </summary>
public sealed record TargetTransform(string Kind, double Lambda = 0)
{
    public const string None = "none";
    public const string Log1p = "log1p";
    public const string YeoJohnson = "yeo-johnson";

    public static readonly string[] Kinds = [None, Log1p, YeoJohnson];

    /// <summary>Fits the transform to the training labels; null for "none". log1p needs every label above -1.</summary>
    public static TargetTransform? Fit(string kind, IReadOnlyList<float> labels) => kind switch
    {
        None => null,
        Log1p when labels.Any(y => y <= -1) => throw new TrainingFailedException("target_transform log1p needs every target value above -1; use yeo-johnson for targets of any sign."),
        Log1p => new TargetTransform(Log1p),
        YeoJohnson => new TargetTransform(YeoJohnson, FitLambda(labels)),
        _ => throw new TrainingFailedException($"Unknown target_transform '{kind}'."),
    };

    public double Apply(double y) => Kind switch
    {
        Log1p => Math.Log(1 + y),
        YeoJohnson => Forward(y, Lambda),
        _ => y,
    };

    public double Invert(double z) => Kind switch
    {
        Log1p => Math.Exp(z) - 1,
        YeoJohnson => Backward(z, Lambda),
        _ => z,
    };

    public float[] Apply(float[] labels) => labels.Select(y => (float)Apply(y)).ToArray();

    private static double Forward(double y, double lambda) => y >= 0
        ? Math.Abs(lambda) < 1e-12 ? Math.Log(1 + y) : (Math.Pow(1 + y, lambda) - 1) / lambda
        : Math.Abs(lambda - 2) < 1e-12 ? -Math.Log(1 - y) : -(Math.Pow(1 - y, 2 - lambda) - 1) / (2 - lambda);

    private static double Backward(double z, double lambda)
    {
        if (z >= 0)
        {
            // A prediction beyond the transform's range (1 + λz ≤ 0 for λ < 0) maps to the largest value it can take.
            return Math.Abs(lambda) < 1e-12 ? Math.Exp(z) - 1 : Math.Pow(Math.Max(1 + (lambda * z), 1e-12), 1 / lambda) - 1;
        }

        return Math.Abs(lambda - 2) < 1e-12 ? 1 - Math.Exp(-z) : 1 - Math.Pow(Math.Max(1 - ((2 - lambda) * z), 1e-12), 1 / (2 - lambda));
    }

    /// <summary>The λ maximising the Yeo-Johnson log-likelihood, by golden-section search on [-2, 4] (the likelihood is unimodal in λ).</summary>
    private static double FitLambda(IReadOnlyList<float> labels)
    {
        var ys = labels.Select(y => (double)y).ToArray();
        var logTerm = ys.Sum(y => Math.Sign(y) * Math.Log(1 + Math.Abs(y)));
        double LogLikelihood(double lambda)
        {
            var transformed = ys.Select(y => Forward(y, lambda)).ToArray();
            var mean = transformed.Average();
            var variance = transformed.Sum(t => (t - mean) * (t - mean)) / transformed.Length;
            return variance <= 0 || !double.IsFinite(variance) ? double.NegativeInfinity : (-transformed.Length / 2.0 * Math.Log(variance)) + ((lambda - 1) * logTerm);
        }

        double low = -2, high = 4;
        var ratio = (Math.Sqrt(5) - 1) / 2;
        for (var i = 0; i < 60; i++)
        {
            var a = high - (ratio * (high - low));
            var b = low + (ratio * (high - low));
            if (LogLikelihood(a) >= LogLikelihood(b))
            {
                high = b;
            }
            else
            {
                low = a;
            }
        }

        return (low + high) / 2;
    }
}
