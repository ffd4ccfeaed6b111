using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Tuning;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="ITuningJobStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class TuningJobStoreContract : NamedResourceContract<TuningJob>
{
    private ITuningJobStore? _store;

    protected abstract ITuningJobStore CreateStore();

    protected ITuningJobStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(TuningJob item) => Store.AddAsync(item);

    protected override Task<TuningJob?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<TuningJob?> UpdateAsync(string name, Func<TuningJob, TuningJob?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<TuningJob>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override IReadOnlyList<string> Statuses => [nameof(TuningJobStatus.InProgress), nameof(TuningJobStatus.Completed), nameof(TuningJobStatus.Failed)];

    protected override string NameOf(TuningJob item) => item.Name;

    // Trials are what the tuner appends concurrently as training jobs finish.
    protected override TuningJob Mark(TuningJob item, string mark) =>
        item with { Trials = [.. item.Trials, new Trial(mark, null, new Dictionary<string, string>(), Epoch)] };

    protected override IReadOnlyCollection<string> MarksOf(TuningJob item) => item.Trials.Select(trial => trial.TrainingJobName).ToList();

    protected override TuningJob Sample(string name, DateTimeOffset created, string status) => new()
    {
        Spec = new TuningJobSpec
        {
            Name = name,
            Strategy = TuningStrategies.Hyperband,
            HyperbandMinResource = 1,
            HyperbandMaxResource = 9,
            Objective = new TuningObjective(true, "validation:auc"),
            MaxTrainingJobs = 20,
            MaxParallelTrainingJobs = 2,
            MaxRuntimeInSeconds = 3_600,
            EarlyStopping = "Auto",
            TargetObjectiveValue = 0.99,
            MaxTrainingJobsNotImproving = 5,
            CompleteOnConvergence = true,
            RandomSeed = 42,
            Definitions =
            [
                new TrainingDefinition(
                    "xgb",
                    new TrainingJobSpec { Name = "template", OutputPath = "s3://b/out", TrainingImage = "kiln/xgboost:1" },
                    [
                        new ParameterRange("eta", ParameterKind.Continuous, 0.01, 0.3, ScalingType.Logarithmic),
                        new ParameterRange("booster", ParameterKind.Categorical, Values: ["gbtree", "dart"]),
                    ],
                    new Dictionary<string, string> { ["objective"] = "binary:logistic" },
                    new TuningObjective(true, "validation:auc")),
            ],
            WarmStartParents = ["parent"],
            WarmStartType = "TransferLearning",
            Tags = [new Tag("team", "ml")],
            CreatedBy = "ann",
        },
        Status = Enum.Parse<TuningJobStatus>(status),
        FailureReason = "reason",
        CreationTime = created,
        EndTime = created.AddMinutes(9),
        LastModifiedTime = created,
        Trials = [new Trial("trial-1", "xgb", new Dictionary<string, string> { ["eta"] = "0.1" }, created, TrainingJobStatus.Completed, 0.9, "none")],
        StopRequested = true,
        Attempt = 1,
        ParentRunId = "run",
        CompletionReason = "converged",
        TrialsNotImproving = 3,
        ConvergenceDetectedTime = created.AddMinutes(8),
    };
}

/// <summary>What every <see cref="IAutoMLJobStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class AutoMLJobStoreContract : NamedResourceContract<AutoMLJob>
{
    private IAutoMLJobStore? _store;

    protected abstract IAutoMLJobStore CreateStore();

    protected IAutoMLJobStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(AutoMLJob item) => Store.AddAsync(item);

    protected override Task<AutoMLJob?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<AutoMLJob?> UpdateAsync(string name, Func<AutoMLJob, AutoMLJob?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<AutoMLJob>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override IReadOnlyList<string> Statuses => [nameof(AutoMLJobStatus.InProgress), nameof(AutoMLJobStatus.Completed), nameof(AutoMLJobStatus.Stopped)];

    protected override string NameOf(AutoMLJob item) => item.Spec.Name;

    protected override AutoMLJob Mark(AutoMLJob item, string mark) => item with { PartialFailures = [.. item.PartialFailures, mark] };

    protected override IReadOnlyCollection<string> MarksOf(AutoMLJob item) => item.PartialFailures;

    protected override AutoMLJob Sample(string name, DateTimeOffset created, string status) => new()
    {
        Spec = new AutoMLJobSpec
        {
            Name = name,
            ApiVersion = 1,
            TrainingDataUri = "s3://b/train.csv",
            ValidationDataUri = "s3://b/valid.csv",
            ContentType = "text/csv;header=present",
            TargetColumn = "churn",
            TextColumn = "notes",
            ProblemType = AutoMLProblemType.BinaryClassification,
            ObjectiveMetric = "F1",
            MaxCandidates = 5,
            MaxRuntimePerTrainingJobInSeconds = 60,
            MaxAutoMLJobRuntimeInSeconds = 600,
            Mode = AutoMLMode.Ensembling,
            ValidationFraction = 0.2,
            OutputPath = "s3://b/out",
            RoleArn = "arn:aws:iam::1:role/r",
            GenerateCandidateDefinitionsOnly = true,
            DeployEndpointName = "ep",
            AutoGenerateEndpointName = true,
            Tags = [new Tag("team", "ml")],
            CreatedBy = "ann",
        },
        Status = Enum.Parse<AutoMLJobStatus>(status),
        SecondaryStatus = AutoMLSecondaryStatus.TrainingModels,
        FailureReason = "reason",
        PartialFailures = ["one candidate failed"],
        CreationTime = created,
        EndTime = created.AddMinutes(5),
        LastModifiedTime = created,
        ResolvedProblemType = AutoMLProblemType.BinaryClassification,
        ResolvedObjective = new AutoMLObjective("F1", true),
        TrainSplitUri = "s3://b/split/train",
        ValidationSplitUri = "s3://b/split/valid",
        AllRowsUri = "s3://b/split/all",
        Pipelines = [new AutoMLPipeline("p1", "xgboost", "kiln/xgboost:1", ["impute", "scale"])],
        TuningJobName = "tuning",
        Candidates =
        [
            new AutoMLCandidate
            {
                Name = "c1",
                Pipeline = "p1",
                Algorithm = "xgboost",
                Preprocessing = ["impute"],
                HyperParameters = new Dictionary<string, string> { ["eta"] = "0.1" },
                Status = TrainingJobStatus.Completed,
                Metrics = new Dictionary<string, double> { ["F1"] = 0.8 },
                Objective = 0.8,
                ModelDataUrl = "s3://b/c1.tar.gz",
                RefitModelDataUrl = "s3://b/c1-refit.tar.gz",
                Image = "kiln/xgboost:1",
                Members = [new EnsembleMember("c0", 0.5)],
                CreationTime = created,
                EndTime = created.AddMinutes(1),
                LastModifiedTime = created.AddMinutes(1),
                FailureReason = "none",
            },
        ],
        BestCandidateName = "c1",
        BestObjectiveStandardError = 0.01,
        DataExplorationReportUri = "s3://b/report.html",
        CandidateReportUri = "s3://b/candidates.html",
        ExplainabilityUri = "s3://b/explain",
        ModelInsightsUri = "s3://b/insights",
        DeployedEndpointName = "ep",
        StopRequested = true,
        Attempt = 2,
    };
}
