namespace Kiln.Tuning.Search;

/// <summary>
/// A zero-mean Gaussian process over the unit cube, for standardised targets, with a Matérn 5/2 kernel and one
/// length scale per coordinate (a categorical coordinate counts as distance 1 when the values differ). Matrices
/// are flat row-major arrays: the models are small (at most a few hundred points) and rebuilt for every suggestion.
/// </summary>
internal sealed class GaussianProcess
{
    private const double Jitter = 1e-9;

    private readonly ParameterSpace _space;
    private readonly double[] _inverseScales;
    private readonly double _amplitude;
    private readonly double _noise;
    private readonly IReadOnlyList<double[]> _points;
    private readonly double[] _cholesky;
    private readonly double[] _alpha;

    private GaussianProcess(ParameterSpace space, double[] inverseScales, double amplitude, double noise, IReadOnlyList<double[]> points, double[] cholesky, double[] alpha)
    {
        _space = space;
        _inverseScales = inverseScales;
        _amplitude = amplitude;
        _noise = noise;
        _points = points;
        _cholesky = cholesky;
        _alpha = alpha;
    }

    /// <summary>
    /// The hyperparameters with the largest log marginal likelihood plus log prior among seeded draws from the prior:
    /// log-normal length scales around half the cube, amplitude around 1, noise around 10⁻³ of the variance.
    /// </summary>
    public static GaussianProcess Fit(ParameterSpace space, IReadOnlyList<double[]> points, IReadOnlyList<double> targets, Random random, int samples)
    {
        var differences = SquaredDifferences(space, points);
        GaussianProcess? best = null;
        var bestScore = double.NegativeInfinity;
        for (var s = 0; s < samples; s++)
        {
            var logScales = new double[space.Dimensions];
            var inverseScales = new double[space.Dimensions];
            for (var d = 0; d < logScales.Length; d++)
            {
                logScales[d] = Math.Log(0.5) + StandardNormal.Sample(random);
                inverseScales[d] = Math.Exp(-logScales[d]);
            }

            var logAmplitude = 0.5 * StandardNormal.Sample(random);
            var logNoise = Math.Log(1e-3) + (2 * StandardNormal.Sample(random));
            var model = Build(space, inverseScales, Math.Exp(2 * logAmplitude), Math.Exp(logNoise), points, targets, differences);
            if (model is null)
            {
                continue;
            }

            var logPrior = -0.5 * (logScales.Sum(l => (l - Math.Log(0.5)) * (l - Math.Log(0.5))) + (logAmplitude * logAmplitude / 0.25) +
                                   ((logNoise - Math.Log(1e-3)) * (logNoise - Math.Log(1e-3)) / 4));
            var score = model.LogLikelihood(targets) + logPrior;
            if (score > bestScore)
            {
                best = model;
                bestScore = score;
            }
        }

        return best ?? Build(space, [.. Enumerable.Repeat(2.0, space.Dimensions)], 1, 1e-2, points, targets, differences)!;
    }

    /// <summary>The same hyperparameters on other data (or this model, should those not factor).</summary>
    public GaussianProcess Refit(IReadOnlyList<double[]> points, IReadOnlyList<double> targets) =>
        Build(_space, _inverseScales, _amplitude, _noise, points, targets, SquaredDifferences(_space, points)) ?? this;

    public (double Mean, double Variance) Predict(double[] point)
    {
        var n = _points.Count;
        var k = new double[n];
        var mean = 0.0;
        for (var i = 0; i < n; i++)
        {
            var squared = 0.0;
            var other = _points[i];
            for (var d = 0; d < point.Length; d++)
            {
                var difference = Difference(_space, d, point[d], other[d]);
                squared += difference * difference * _inverseScales[d] * _inverseScales[d];
            }

            k[i] = Matern(_amplitude, squared);
            mean += k[i] * _alpha[i];
        }

        // v = L⁻¹ k; variance = k(x, x) − vᵀv.
        ForwardSubstitute(_cholesky, n, k);
        var variance = _amplitude;
        for (var i = 0; i < n; i++)
        {
            variance -= k[i] * k[i];
        }

        return (mean, variance);
    }

    private double LogLikelihood(IReadOnlyList<double> targets)
    {
        var n = targets.Count;
        var fit = 0.0;
        var logDeterminant = 0.0;
        for (var i = 0; i < n; i++)
        {
            fit += targets[i] * _alpha[i];
            logDeterminant += Math.Log(_cholesky[(i * n) + i]);
        }

        return (-0.5 * fit) - logDeterminant - (0.5 * n * Math.Log(2 * Math.PI));
    }

    private static GaussianProcess? Build(ParameterSpace space, double[] inverseScales, double amplitude, double noise, IReadOnlyList<double[]> points, IReadOnlyList<double> targets, double[] differences)
    {
        var n = points.Count;
        var dimensions = space.Dimensions;
        var covariance = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var squared = 0.0;
                var offset = ((i * n) + j) * dimensions;
                for (var d = 0; d < dimensions; d++)
                {
                    squared += differences[offset + d] * inverseScales[d] * inverseScales[d];
                }

                covariance[(i * n) + j] = Matern(amplitude, squared) + (i == j ? noise + Jitter : 0);
            }
        }

        if (!CholeskyInPlace(covariance, n))
        {
            return null;
        }

        // α = K⁻¹ y through L Lᵀ α = y.
        var alpha = targets.ToArray();
        ForwardSubstitute(covariance, n, alpha);
        BackSubstitute(covariance, n, alpha);
        return new GaussianProcess(space, inverseScales, amplitude, noise, points, covariance, alpha);
    }

    /// <summary>Per pair (lower triangle) and coordinate, the squared difference, computed once for all hyperparameter draws.</summary>
    private static double[] SquaredDifferences(ParameterSpace space, IReadOnlyList<double[]> points)
    {
        var n = points.Count;
        var dimensions = space.Dimensions;
        var differences = new double[n * n * dimensions];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                for (var d = 0; d < dimensions; d++)
                {
                    var difference = Difference(space, d, points[i][d], points[j][d]);
                    differences[(((i * n) + j) * dimensions) + d] = difference * difference;
                }
            }
        }

        return differences;
    }

    private static double Difference(ParameterSpace space, int dimension, double a, double b) =>
        space.IsCategorical(dimension) ? (Math.Abs(a - b) < 0.5 ? 0 : 1) : a - b;

    private static double Matern(double amplitude, double scaledSquaredDistance)
    {
        var r = Math.Sqrt(5 * scaledSquaredDistance);
        return amplitude * (1 + r + (r * r / 3)) * Math.Exp(-r);
    }

    /// <summary>Overwrites the lower triangle of A with L, L Lᵀ = A; false when A is not positive definite.</summary>
    private static bool CholeskyInPlace(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = a.AsSpan(j * n, j);
            var diagonal = a[(j * n) + j] - Dot(rowJ, rowJ);
            if (diagonal <= 0)
            {
                return false;
            }

            var pivot = Math.Sqrt(diagonal);
            a[(j * n) + j] = pivot;
            for (var i = j + 1; i < n; i++)
            {
                a[(i * n) + j] = (a[(i * n) + j] - Dot(a.AsSpan(i * n, j), rowJ)) / pivot;
            }
        }

        return true;
    }

    /// <summary>Solves L x = b in place.</summary>
    private static void ForwardSubstitute(double[] l, int n, double[] b)
    {
        for (var i = 0; i < n; i++)
        {
            b[i] = (b[i] - Dot(l.AsSpan(i * n, i), b.AsSpan(0, i))) / l[(i * n) + i];
        }
    }

    /// <summary>Solves Lᵀ x = b in place.</summary>
    private static void BackSubstitute(double[] l, int n, double[] b)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = b[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= l[(k * n) + i] * b[k];
            }

            b[i] = sum / l[(i * n) + i];
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
