using System.Runtime.InteropServices;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// LightGBM's C API (lib_lightgbm, shipped by the LightGBM package that ML.NET's LightGBM trainer depends on).
/// Kiln calls it directly rather than through ML.NET's trainer: the data goes in as one float matrix with no
/// IDataView conversion, and training runs a round at a time, so each round's metrics are reported and a stop
/// request or an early-stopping rule takes effect between rounds.
/// </summary>
internal static unsafe partial class LightGbmNative
{
    private const string Library = "lib_lightgbm";

    public const int Float32 = 0;
    public const int Float64 = 1;
    public const int PredictNormal = 0;
    public const int ImportanceSplit = 0;
    public const int ImportanceGain = 1;

    [LibraryImport(Library, EntryPoint = "LGBM_GetLastError")]
    private static partial IntPtr GetLastError();

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetCreateFromMat", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int DatasetCreateFromMat(float* data, int dataType, int rows, int columns, int isRowMajor, string parameters, IntPtr reference, out IntPtr dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetSetField", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int DatasetSetField(IntPtr dataset, string field, float* data, int count, int type);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetFree")]
    public static partial int DatasetFree(IntPtr dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreate", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterCreate(IntPtr train, string parameters, out IntPtr booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreateFromModelfile", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterCreateFromModelfile(string file, out int iterations, out IntPtr booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterAddValidData")]
    public static partial int BoosterAddValidData(IntPtr booster, IntPtr validation);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterUpdateOneIter")]
    public static partial int BoosterUpdateOneIter(IntPtr booster, out int isFinished);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetEvalCounts")]
    public static partial int BoosterGetEvalCounts(IntPtr booster, out int count);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetEvalNames")]
    public static partial int BoosterGetEvalNames(IntPtr booster, int length, out int count, nuint bufferLength, out nuint neededLength, IntPtr* names);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetEval")]
    public static partial int BoosterGetEval(IntPtr booster, int dataIndex, out int count, double* results);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterSaveModel", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSaveModel(IntPtr booster, int startIteration, int iterations, int importanceType, string file);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMat", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterPredictForMat(IntPtr booster, float* data, int dataType, int rows, int columns, int isRowMajor, int predictType, int startIteration, int iterations, string parameters, out long length, double* results);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMatSingleRowFastInit", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterPredictForMatSingleRowFastInit(IntPtr booster, int predictType, int startIteration, int iterations, int dataType, int columns, string parameters, out IntPtr fastConfig);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMatSingleRowFast")]
    public static partial int BoosterPredictForMatSingleRowFast(IntPtr fastConfig, float* data, out long length, double* results);

    [LibraryImport(Library, EntryPoint = "LGBM_FastConfigFree")]
    public static partial int FastConfigFree(IntPtr fastConfig);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetNumPredict")]
    public static partial int BoosterGetNumPredict(IntPtr booster, int dataIndex, out long count);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetPredict")]
    public static partial int BoosterGetPredict(IntPtr booster, int dataIndex, out long count, double* results);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterRollbackOneIter")]
    public static partial int BoosterRollbackOneIter(IntPtr booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetCurrentIteration")]
    public static partial int BoosterGetCurrentIteration(IntPtr booster, out int iteration);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFeatureImportance")]
    public static partial int BoosterFeatureImportance(IntPtr booster, int iterations, int importanceType, double* results);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetNumClasses")]
    public static partial int BoosterGetNumClasses(IntPtr booster, out int classes);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetNumFeature")]
    public static partial int BoosterGetNumFeature(IntPtr booster, out int features);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFree")]
    public static partial int BoosterFree(IntPtr booster);

    /// <summary>Throws with LightGBM's own message when a call failed.</summary>
    public static void Check(int result)
    {
        if (result != 0)
        {
            throw new InvalidOperationException("LightGBM: " + (Marshal.PtrToStringUTF8(GetLastError()) ?? "unknown error"));
        }
    }
}
