using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>A LightGBM data set: a row-major float matrix with its labels, binned on creation.</summary>
internal sealed unsafe class BoostingData : IDisposable
{
    private IntPtr _handle;

    public BoostingData(float[][] rows, float[] labels, int width, string parameters, BoostingData? reference = null)
    {
        if (rows.Length == 0)
        {
            throw new ArgumentException("A data set needs at least one row.", nameof(rows));
        }

        var matrix = Flatten(rows, width);
        fixed (float* data = matrix)
        {
            LightGbmNative.Check(LightGbmNative.DatasetCreateFromMat(data, LightGbmNative.Float32, rows.Length, width, 1, parameters, reference?._handle ?? IntPtr.Zero, out _handle));
        }

        fixed (float* label = labels)
        {
            LightGbmNative.Check(LightGbmNative.DatasetSetField(_handle, "label", label, labels.Length, LightGbmNative.Float32));
        }

        Rows = rows.Length;
    }

    public int Rows { get; }

    public IntPtr Handle => _handle;

    public static float[] Flatten(float[][] rows, int width)
    {
        var matrix = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r].AsSpan(0, width).CopyTo(matrix.AsSpan(r * width, width));
        }

        return matrix;
    }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero)
        {
            LightGbmNative.Check(LightGbmNative.DatasetFree(_handle));
            _handle = IntPtr.Zero;
        }
    }
}

/// <summary>
/// A LightGBM model, being trained a round at a time or loaded from its text file. Prediction is thread-safe
/// (LightGBM takes a shared lock), so one booster serves every request of a replica.
/// </summary>
internal sealed unsafe class Booster : IDisposable
{
    private IntPtr _handle;

    // Single-row predictors set up once (LightGBM's "fast" single-row API), one per thread predicting at the same
    // time: the per-call API parses its parameters, builds a predictor and takes the booster's exclusive lock on
    // every row, which cost an endpoint about a tenth of its CPU. A bag hands a thread back the one it used last.
    private readonly ConcurrentBag<IntPtr> _rowPredictors = [];

    private Booster(IntPtr handle)
    {
        _handle = handle;
        LightGbmNative.Check(LightGbmNative.BoosterGetNumClasses(handle, out var classes));
        LightGbmNative.Check(LightGbmNative.BoosterGetNumFeature(handle, out var features));
        Classes = classes;
        Features = features;
    }

    /// <summary>Outputs per row: 1 for binary and regression, the class count for multiclass.</summary>
    public int Classes { get; }

    public int Features { get; }

    public static Booster Create(BoostingData train, string parameters)
    {
        LightGbmNative.Check(LightGbmNative.BoosterCreate(train.Handle, parameters, out var handle));
        return new Booster(handle);
    }

    public static Booster Load(string modelFile)
    {
        LightGbmNative.Check(LightGbmNative.BoosterCreateFromModelfile(modelFile, out _, out var handle));
        return new Booster(handle);
    }

    public void AddValidation(BoostingData validation) => LightGbmNative.Check(LightGbmNative.BoosterAddValidData(_handle, validation.Handle));

    /// <summary>Grows one more round of trees; false when no split improves any more.</summary>
    public bool Update()
    {
        LightGbmNative.Check(LightGbmNative.BoosterUpdateOneIter(_handle, out var finished));
        return finished == 0;
    }

    /// <summary>The configured metrics on data set <paramref name="index"/> (0: train, 1…: validation sets in the order added).</summary>
    public double[] Evaluate(int index)
    {
        LightGbmNative.Check(LightGbmNative.BoosterGetEvalCounts(_handle, out var count));
        var results = new double[count];
        fixed (double* output = results)
        {
            LightGbmNative.Check(LightGbmNative.BoosterGetEval(_handle, index, out _, output));
        }

        return results;
    }

    public IReadOnlyList<string> MetricNames()
    {
        LightGbmNative.Check(LightGbmNative.BoosterGetEvalCounts(_handle, out var count));
        const int Length = 128;
        var buffers = new IntPtr[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                buffers[i] = Marshal.AllocHGlobal(Length);
            }

            fixed (IntPtr* names = buffers)
            {
                LightGbmNative.Check(LightGbmNative.BoosterGetEvalNames(_handle, count, out _, Length, out _, names));
            }

            return buffers.Select(buffer => Marshal.PtrToStringUTF8(buffer) ?? "").ToList();
        }
        finally
        {
            foreach (var buffer in buffers.Where(buffer => buffer != IntPtr.Zero))
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
    }

    /// <summary>
    /// The model's current outputs on a training-time data set (0: train, 1…: validation), kept up to date by
    /// LightGBM as it grows trees: evaluating the final model costs no prediction pass. Row-major, rows × classes.
    /// </summary>
    public double[] TrainingOutputs(int index)
    {
        LightGbmNative.Check(LightGbmNative.BoosterGetNumPredict(_handle, index, out var count));
        var results = new double[count];
        fixed (double* output = results)
        {
            LightGbmNative.Check(LightGbmNative.BoosterGetPredict(_handle, index, out _, output));
        }

        if (Classes > 1)
        {
            // LightGBM keeps multiclass outputs class-major (all rows' class 0, then class 1, …).
            var rows = (int)(count / Classes);
            var rowMajor = new double[count];
            for (var c = 0; c < Classes; c++)
            {
                for (var r = 0; r < rows; r++)
                {
                    rowMajor[(r * Classes) + c] = results[(c * rows) + r];
                }
            }

            return rowMajor;
        }

        return results;
    }

    /// <summary>Drops the last rounds until <paramref name="rounds"/> remain (early stopping keeps the best round).</summary>
    public void RollBackTo(int rounds)
    {
        LightGbmNative.Check(LightGbmNative.BoosterGetCurrentIteration(_handle, out var current));
        for (; current > rounds; current--)
        {
            LightGbmNative.Check(LightGbmNative.BoosterRollbackOneIter(_handle));
        }
    }

    /// <summary>Saves the first <paramref name="iterations"/> rounds (0: all) as LightGBM's text model.</summary>
    public void Save(string file, int iterations = 0) =>
        LightGbmNative.Check(LightGbmNative.BoosterSaveModel(_handle, 0, iterations, LightGbmNative.ImportanceSplit, file));

    /// <summary>Transformed outputs (probabilities for classifiers) of many rows, row-major: rows × <see cref="Classes"/>.</summary>
    public double[] Predict(float[] matrix, int rows, int iterations = 0, int threads = 0)
    {
        var results = new double[rows * Classes];
        fixed (float* data = matrix)
        fixed (double* output = results)
        {
            LightGbmNative.Check(LightGbmNative.BoosterPredictForMat(
                _handle, data, LightGbmNative.Float32, rows, Features, 1, LightGbmNative.PredictNormal, 0, iterations,
                threads > 0 ? "num_threads=" + threads.ToString(CultureInfo.InvariantCulture) : "", out _, output));
        }

        return results;
    }

    /// <summary>One row's outputs, without spinning up LightGBM's thread pool (an endpoint's usual request).</summary>
    public void PredictRow(ReadOnlySpan<float> row, Span<double> output)
    {
        if (row.Length != Features)
        {
            throw new ArgumentException($"The model takes {Features} features; the row has {row.Length}.", nameof(row));
        }

        if (!_rowPredictors.TryTake(out var predictor))
        {
            LightGbmNative.Check(LightGbmNative.BoosterPredictForMatSingleRowFastInit(
                _handle, LightGbmNative.PredictNormal, 0, 0, LightGbmNative.Float32, Features, "num_threads=1", out predictor));
        }

        try
        {
            fixed (float* data = row)
            fixed (double* result = output)
            {
                LightGbmNative.Check(LightGbmNative.BoosterPredictForMatSingleRowFast(predictor, data, out _, result));
            }
        }
        finally
        {
            _rowPredictors.Add(predictor);
        }
    }

    /// <summary>Each feature's total gain over all splits (for feature importance).</summary>
    public double[] Importance()
    {
        var results = new double[Features];
        fixed (double* output = results)
        {
            LightGbmNative.Check(LightGbmNative.BoosterFeatureImportance(_handle, 0, LightGbmNative.ImportanceGain, output));
        }

        return results;
    }

    public void Dispose()
    {
        while (_rowPredictors.TryTake(out var predictor))
        {
            LightGbmNative.Check(LightGbmNative.FastConfigFree(predictor));
        }

        if (_handle != IntPtr.Zero)
        {
            LightGbmNative.Check(LightGbmNative.BoosterFree(_handle));
            _handle = IntPtr.Zero;
        }
    }
}
