using System.Diagnostics;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Serving.Inference;
using Kiln.Serving.Logs;
using Kiln.Serving.Models;
using Kiln.Serving.Runtime;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Kiln.Cluster.Endpoints;

/// <summary>
/// A replica on the node Orleans placed it on: loads the model there (model data from the shared S3 store) and
/// answers requests, several at a time (reentrant; each prediction runs on the thread pool). It checks the endpoint's
/// record every few seconds and leaves once the record no longer asks for it (fleet replaced, scaled in, endpoint
/// deleted), so no node has to tell it to stop.
/// </summary>
[ReplicaPlacement]
[Reentrant]
internal sealed partial class EndpointReplicaGrain(
    IServingStore store, ModelLoader loader, EndpointLogWriter logs, ILocalSiloDetails silo, ILogger<EndpointReplicaGrain> logger) : Grain, IEndpointReplicaGrain
{
    private static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(5);
    private ReplicaKey _key = null!;
    private Task<IServedModel>? _model;
    private ReplicaLog? _log;

    private string Node => silo.SiloAddress.Endpoint.ToString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ReplicaKeys.Parse(this.GetPrimaryKeyString());
        // KeepAlive: a replica stays loaded while nobody calls it, as an instance does; it leaves when its record says so.
        this.RegisterGrainTimer(CheckStillWantedAsync, new GrainTimerCreationOptions(CheckPeriod, CheckPeriod) { Interleave = true, KeepAlive = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_model is { IsCompletedSuccessfully: true } loaded)
        {
            _log?.Write($"Stopping replica {_key.Index + 1} of variant {_key.Variant} on node {Node}: {reason.Description}");
            loaded.Result.Dispose();
        }

        return Task.CompletedTask;
    }

    public async Task<ReplicaInfo> OpenAsync()
    {
        try
        {
            await (_model ??= LoadAsync());
            return new ReplicaInfo(Node, null);
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            // The next call tries again from scratch (the model may be fixed, or the store back).
            this.DeactivateOnIdle();
            return new ReplicaInfo(Node, e.Message);
        }
    }

    public async Task<ReplicaAnswer> InvokeAsync(byte[] body, string? contentType, string? accept)
    {
        IServedModel model;
        try
        {
            model = await (_model ??= LoadAsync());
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            this.DeactivateOnIdle();
            return new ReplicaAnswer(Node, null, null, ReplicaFailure.Failed, 500, $"The replica could not load its model on node {Node}: {e.Message}");
        }

        try
        {
            var answer = await Task.Run(async () => await model.InvokeAsync(body, contentType, accept, CancellationToken.None));
            return new ReplicaAnswer(Node, answer.Body, answer.ContentType);
        }
        catch (ModelErrorException e)
        {
            return new ReplicaAnswer(Node, null, null, ReplicaFailure.Model, e.Status, e.Message);
        }
        catch (PayloadException e)
        {
            return new ReplicaAnswer(Node, null, null, ReplicaFailure.Payload, e.Status, e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or TrainingFailedException or ArgumentException or FormatException or InvalidOperationException)
        {
            return new ReplicaAnswer(Node, null, null, ReplicaFailure.BadRequest, 400, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ReplicaAnswer(Node, null, null, ReplicaFailure.Failed, 500, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private async Task<IServedModel> LoadAsync()
    {
        var model = await store.FindModelAsync(_key.Model)
            ?? throw KilnException.InvalidParameter($"Could not find model \"{_key.Model}\" for variant '{_key.Variant}'.");
        _log = logs.Open(_key.Endpoint, _key.Variant);
        _log.Write($"Starting replica {_key.Index + 1} of variant {_key.Variant} (endpoint config {_key.Config}) on node {Node}: loading model {model.Name} from {model.ModelDataUrl ?? "(no ModelDataUrl)"}");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var directory = await loader.PrepareAsync(model, CancellationToken.None);
            var served = await loader.LoadServedAsync(model, directory, CancellationToken.None, log: _log.Write);
            _log.Write($"Model {model.Name} loaded in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms; replica {_log.Stream} is ready on node {Node}");
            LogLoaded(_key.Endpoint, _key.Variant, _key.Index, Node);
            return served;
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            _log.Write($"Model load failed: {e.Message}");
            throw;
        }
    }

    private async Task CheckStillWantedAsync(CancellationToken ct)
    {
        Endpoint? record;
        try
        {
            record = await store.FindEndpointAsync(_key.Endpoint, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The store is unreachable: keep serving what is loaded.
            return;
        }

        if (record is not null && Wanted(record, _key))
        {
            return;
        }

        LogRetired(_key.Endpoint, _key.Variant, _key.Index, Node);
        this.DeactivateOnIdle();
    }

    /// <summary>Whether the endpoint's record still serves this replica: its current or pending fleet has the variant, on the same model, with at least this many instances.</summary>
    internal static bool Wanted(Endpoint record, ReplicaKey key)
    {
        if (record.Status is EndpointStatus.Failed or EndpointStatus.OutOfService or EndpointStatus.Deleting)
        {
            return false;
        }

        return Has(record.ConfigName, record.Variants.Concat(record.ShadowVariants))
            || (record.PendingConfigName is { } pending && Has(pending, record.PendingVariants.Concat(record.PendingShadowVariants)));

        bool Has(string config, IEnumerable<VariantState> variants) =>
            config == key.Config && variants.Any(variant => variant.VariantName == key.Variant && variant.ModelName == key.Model && key.Index < Math.Max(1, variant.DesiredInstanceCount));
    }

    private static bool IsLoadFailure(Exception e) =>
        e is KilnException or InvalidDataException or IOException or JsonException or InvalidOperationException or FormatException or ArgumentException or TrainingFailedException;

    [LoggerMessage(Level = LogLevel.Information, Message = "Endpoint {Endpoint}: replica {Index} of variant {Variant} is loaded on node {Node}")]
    private partial void LogLoaded(string endpoint, string variant, int index, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Endpoint {Endpoint}: replica {Index} of variant {Variant} on node {Node} is no longer wanted by the endpoint's record; stopping it")]
    private partial void LogRetired(string endpoint, string variant, int index, string node);
}
