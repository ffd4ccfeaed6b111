using Kiln.Core.Serving;
using Kiln.Serving.Routing;
using Microsoft.Extensions.Logging;

namespace Kiln.Cluster.Endpoints;

/// <summary>
/// An endpoint's bandit shared by every node: which variant served each recent inference (so a reward sent to any
/// node finds its arm), the success and failure counts every node adopts each second, and the cluster-wide share of
/// recent routing decisions (the weights DescribeEndpoint shows). Saved to the serving store each second it learned,
/// in the same form the embedded runtime saves, so it survives the loss of its node up to that last second.
/// </summary>
internal sealed partial class EndpointBanditGrain(IServingStore store, TimeProvider clock, ILogger<EndpointBanditGrain> logger) : Grain, IEndpointBanditGrain
{
    private const int RecentCapacity = 200_000;
    private const int Window = 1000;
    private const int WeightHistoryLength = 2000;
    private static readonly TimeSpan SavePeriod = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, int> _routed = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int[] _recent = new int[Window];
    private long _decisions;
    private string? _config;
    private string[] _variants = [];
    private BanditRouter? _bandit;
    private bool _changed;
    private bool _learned;

    private string Endpoint => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(SaveAsync, new GrainTimerCreationOptions(SavePeriod, SavePeriod));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => SaveAsync(cancellationToken);

    public async Task RoutedAsync(string config, string[] variants, string inferenceId, int variant)
    {
        await FollowAsync(config, variants);
        if (variant < 0 || variant >= _variants.Length)
        {
            return;
        }

        if (_routed.TryAdd(inferenceId, variant))
        {
            _order.Enqueue(inferenceId);
            while (_order.Count > RecentCapacity && _order.TryDequeue(out var oldest))
            {
                _routed.Remove(oldest);
            }
        }

        _recent[_decisions++ % Window] = variant;
        _changed = true;
    }

    public Task<bool> RewardAsync(string inferenceId, double reward)
    {
        if (_bandit is null || !_routed.Remove(inferenceId, out var variant))
        {
            return Task.FromResult(false);
        }

        _bandit.Reward(variant, reward);
        _changed = _learned = true;
        return Task.FromResult(true);
    }

    public async Task<BanditState> StateAsync(string config, string[] variants)
    {
        await FollowAsync(config, variants);
        var (successes, failures) = _bandit!.Counts();
        return new BanditState(successes, failures, Shares());
    }

    /// <summary>Switches to the fleet nodes now route for (a new endpoint config), starting from what the store saved for it.</summary>
    private async Task FollowAsync(string config, string[] variants)
    {
        if (_bandit is not null && _config == config && _variants.SequenceEqual(variants))
        {
            return;
        }

        await SaveAsync(CancellationToken.None);
        var saved = SavedBandit.Read(await store.LoadBanditStateAsync(Endpoint), config, variants);
        // Which strategy picks does not matter here: nodes pick; this keeps the counts.
        _bandit = new BanditRouter(RoutingStrategy.ThompsonSampling, variants.Length, saved);
        _config = config;
        _variants = variants;
        _routed.Clear();
        _order.Clear();
        _decisions = 0;
        _changed = _learned = false;
    }

    private double[] Shares()
    {
        var shares = new double[_variants.Length];
        var count = (int)Math.Min(_decisions, Window);
        for (var i = 0; i < count; i++)
        {
            shares[_recent[i]]++;
        }

        return count == 0 ? shares : [.. shares.Select(share => share / count)];
    }

    private async Task SaveAsync(CancellationToken ct)
    {
        if (!_changed || _bandit is null || _config is null)
        {
            return;
        }

        try
        {
            await store.SaveBanditStateAsync(Endpoint, SavedBandit.Write(_config, _variants, _bandit.SaveState()), ct);
            if (_learned)
            {
                var shares = Shares();
                var reading = new BanditWeights(clock.GetUtcNow(), [.. _variants.Select((variant, i) => new VariantWeight(variant, shares[i]))]);
                await store.AddBanditWeightsAsync(Endpoint, reading, WeightHistoryLength, ct);
            }

            _changed = _learned = false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotSaved(e, Endpoint);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shared bandit of endpoint {Endpoint} could not be saved")]
    private partial void LogNotSaved(Exception exception, string endpoint);
}
