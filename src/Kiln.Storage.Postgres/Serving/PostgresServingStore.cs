using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Storage.Postgres.Serving;

public sealed class PostgresServingStore(PostgresDatabase db) : IServingStore
{
    private readonly PostgresDocuments<HostedModel> _models = new(db, "hosted_models", m => m.Name, _ => "Created", m => m.CreationTime);
    private readonly PostgresDocuments<EndpointConfig> _configs = new(db, "endpoint_configs", c => c.Name, _ => "Created", c => c.CreationTime);
    private readonly PostgresDocuments<Endpoint> _endpoints = new(db, "endpoints", e => e.Name, e => e.Status.ToString(), e => e.CreationTime, e => e.LastModifiedTime);

    public Task<bool> AddModelAsync(HostedModel model, CancellationToken ct = default) => _models.AddAsync(model, ct);

    public Task<HostedModel?> FindModelAsync(string name, CancellationToken ct = default) => _models.FindAsync(name, ct);

    public Task<HostedModel?> UpdateModelAsync(string name, Func<HostedModel, HostedModel?> change, CancellationToken ct = default) => _models.UpdateAsync(name, change, ct);

    public Task<bool> DeleteModelAsync(string name, CancellationToken ct = default) => _models.DeleteAsync(name, ct);

    public Task<Page<HostedModel>> ListModelsAsync(ListQuery query, CancellationToken ct = default) => _models.ListAsync(query, ct);

    public Task<bool> AddConfigAsync(EndpointConfig config, CancellationToken ct = default) => _configs.AddAsync(config, ct);

    public Task<EndpointConfig?> FindConfigAsync(string name, CancellationToken ct = default) => _configs.FindAsync(name, ct);

    public Task<EndpointConfig?> UpdateConfigAsync(string name, Func<EndpointConfig, EndpointConfig?> change, CancellationToken ct = default) => _configs.UpdateAsync(name, change, ct);

    public Task<bool> DeleteConfigAsync(string name, CancellationToken ct = default) => _configs.DeleteAsync(name, ct);

    public Task<Page<EndpointConfig>> ListConfigsAsync(ListQuery query, CancellationToken ct = default) => _configs.ListAsync(query, ct);

    public Task<bool> AddEndpointAsync(Endpoint endpoint, CancellationToken ct = default) => _endpoints.AddAsync(endpoint, ct);

    public Task<Endpoint?> FindEndpointAsync(string name, CancellationToken ct = default) => _endpoints.FindAsync(name, ct);

    public Task<Endpoint?> UpdateEndpointAsync(string name, Func<Endpoint, Endpoint?> change, CancellationToken ct = default) => _endpoints.UpdateAsync(name, change, ct);

    public Task<bool> DeleteEndpointAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            await session.ExecuteAsync("DELETE FROM bandit_state WHERE endpoint = @endpoint", ("endpoint", name)).ConfigureAwait(false);
            await session.ExecuteAsync("DELETE FROM bandit_weights WHERE endpoint = @endpoint", ("endpoint", name)).ConfigureAwait(false);
            return await session.ExecuteAsync("DELETE FROM endpoints WHERE name = @name", ("name", name)).ConfigureAwait(false) == 1;
        }, ct);

    public Task<Page<Endpoint>> ListEndpointsAsync(ListQuery query, CancellationToken ct = default) => _endpoints.ListAsync(query, ct);

    public Task<IReadOnlyList<Endpoint>> AllEndpointsAsync(CancellationToken ct = default) => _endpoints.AllAsync(ct);

    public Task SaveBanditStateAsync(string endpoint, string state, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            "INSERT INTO bandit_state (endpoint, state) SELECT @endpoint, @state WHERE EXISTS (SELECT 1 FROM endpoints WHERE name = @endpoint) "
            + "ON CONFLICT (endpoint) DO UPDATE SET state = excluded.state",
            ("endpoint", endpoint), ("state", state)), ct);

    public async Task<string?> LoadBanditStateAsync(string endpoint, CancellationToken ct = default) =>
        (string?)await db.ReadAsync(session => session.ScalarAsync("SELECT state FROM bandit_state WHERE endpoint = @endpoint", ("endpoint", endpoint)), ct).ConfigureAwait(false);

    public Task AddBanditWeightsAsync(string endpoint, BanditWeights reading, int keep, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            var added = await session.ExecuteAsync(
                "INSERT INTO bandit_weights (endpoint, time, weights) SELECT @endpoint, @time, @weights WHERE EXISTS (SELECT 1 FROM endpoints WHERE name = @endpoint)",
                ("endpoint", endpoint), ("time", reading.Time.ToUnixTimeMilliseconds()), ("weights", JsonSerializer.Serialize(reading.Variants))).ConfigureAwait(false);
            if (added == 1)
            {
                await session.ExecuteAsync(
                    "DELETE FROM bandit_weights WHERE endpoint = @endpoint AND id <= "
                    + "(SELECT id FROM bandit_weights WHERE endpoint = @endpoint ORDER BY id DESC LIMIT 1 OFFSET @keep)",
                    ("endpoint", endpoint), ("keep", Math.Max(0, keep))).ConfigureAwait(false);
            }
        }, ct);

    public async Task<IReadOnlyList<BanditWeights>> ListBanditWeightsAsync(string endpoint, CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync(
            "SELECT time, weights FROM bandit_weights WHERE endpoint = @endpoint ORDER BY id",
            reader => new BanditWeights(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                JsonSerializer.Deserialize<List<VariantWeight>>(reader.GetString(1))!),
            ("endpoint", endpoint)), ct).ConfigureAwait(false);
}
