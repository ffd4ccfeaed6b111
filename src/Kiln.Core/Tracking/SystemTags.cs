namespace Kiln.Core.Tracking;

/// <summary>Tag keys with meaning to MLflow clients (and so to Kiln).</summary>
public static class SystemTags
{
    public const string RunName = "mlflow.runName";
    public const string User = "mlflow.user";
    public const string ParentRunId = "mlflow.parentRunId";
}
