using Kiln.Core.Security.Audit;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IAuditStore"/> promises: entries chained in order, filtered and paged oldest first, updates
/// and deletes refused, and a chain that shows an entry edited or removed behind the store's back.
/// </summary>
public abstract class AuditStoreContract
{
    private static readonly DateTimeOffset Epoch = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);
    private IAuditStore? _store;

    protected abstract IAuditStore CreateStore();

    /// <summary>Runs SQL with the table's append-only guard switched off, as someone with the database file could.</summary>
    protected abstract Task TamperAsync(string sql);

    /// <summary>Runs SQL as the application would (the guard on); throws what the database throws.</summary>
    protected abstract Task ExecuteAsync(string sql);

    protected IAuditStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task Entries_are_numbered_chained_and_read_back_in_order()
    {
        await Store.AppendAsync([Record("ada", "sagemaker:CreateTrainingJob", 0, resource: "job-1", key: "AKIAADA"), Record("anonymous", "s3:PutObject", 1, status: 403, code: "AccessDenied")]);
        await Store.AppendAsync([Record("bob", "mlflow:POST /api/2.0/mlflow/runs/create", 2)]);

        var page = await Store.ListAsync(new AuditQuery());
        Assert.Null(page.NextAfter);
        Assert.Equal([1L, 2L, 3L], page.Entries.Select(e => e.Sequence));
        Assert.Equal(AuditChain.Genesis, page.Entries[0].PreviousHash);
        Assert.Equal(page.Entries[0].Hash, page.Entries[1].PreviousHash);
        Assert.Equal(page.Entries[1].Hash, page.Entries[2].PreviousHash);
        Assert.Equal(Record("ada", "sagemaker:CreateTrainingJob", 0, resource: "job-1", key: "AKIAADA"), page.Entries[0].Record);
        Assert.Equal(Record("anonymous", "s3:PutObject", 1, status: 403, code: "AccessDenied"), page.Entries[1].Record);

        var verified = await AuditChain.VerifyAsync(Store);
        Assert.True(verified.Intact, verified.Problem);
        Assert.Equal(3, verified.Verified);
        Assert.Equal(page.Entries[2].Hash, verified.LastHash);
    }

    [StoreFact]
    public async Task Filters_by_user_and_time_and_pages_with_a_token()
    {
        await Store.AppendAsync([.. Enumerable.Range(0, 7).Select(i => Record(i % 2 == 0 ? "ada" : "bob", "sagemaker:CreateModel", i))]);

        var ada = await Store.ListAsync(new AuditQuery(User: "ada"));
        Assert.Equal([1L, 3L, 5L, 7L], ada.Entries.Select(e => e.Sequence));
        var since = await Store.ListAsync(new AuditQuery(Since: Epoch.AddMinutes(4)));
        Assert.Equal([5L, 6L, 7L], since.Entries.Select(e => e.Sequence));

        var first = await Store.ListAsync(new AuditQuery(Limit: 3));
        Assert.Equal([1L, 2L, 3L], first.Entries.Select(e => e.Sequence));
        Assert.Equal(3, first.NextAfter);
        var second = await Store.ListAsync(new AuditQuery(After: first.NextAfter!.Value, Limit: 3));
        Assert.Equal([4L, 5L, 6L], second.Entries.Select(e => e.Sequence));
        var last = await Store.ListAsync(new AuditQuery(After: second.NextAfter!.Value, Limit: 3));
        Assert.Equal([7L], last.Entries.Select(e => e.Sequence));
        Assert.Null(last.NextAfter);
        Assert.Empty((await Store.ListAsync(new AuditQuery(User: "nobody"))).Entries);
    }

    [StoreFact]
    public async Task Updates_and_deletes_are_refused()
    {
        await Store.AppendAsync([Record("ada", "sagemaker:DeleteModel", 0)]);

        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteAsync("UPDATE audit_log SET user_name = 'eve'"));
        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteAsync("DELETE FROM audit_log"));
        Assert.Equal("ada", (await Store.ListAsync(new AuditQuery())).Entries.Single().Record.User);
    }

    [StoreFact]
    public async Task Verify_finds_an_edited_entry()
    {
        await Store.AppendAsync([.. Enumerable.Range(0, 4).Select(i => Record("ada", "sagemaker:CreateEndpoint", i))]);
        await TamperAsync("UPDATE audit_log SET user_name = 'eve' WHERE sequence = 3");

        var verified = await AuditChain.VerifyAsync(Store);
        Assert.False(verified.Intact);
        Assert.Equal(3, verified.BrokenAt);
        Assert.Equal(2, verified.Verified);
        Assert.Contains("changed", verified.Problem, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Verify_finds_a_deleted_entry_and_an_entry_rehashed_to_hide_an_edit()
    {
        await Store.AppendAsync([.. Enumerable.Range(0, 4).Select(i => Record("ada", "sagemaker:CreateEndpoint", i))]);
        await TamperAsync("DELETE FROM audit_log WHERE sequence = 2");

        var verified = await AuditChain.VerifyAsync(Store);
        Assert.False(verified.Intact);
        Assert.Equal(3, verified.BrokenAt);
        Assert.Contains("missing", verified.Problem, StringComparison.Ordinal);

        // Editing the first entry and recomputing its own hash still breaks the link from the entry after it.
        await TamperAsync("DELETE FROM audit_log WHERE sequence >= 3");
        await Store.AppendAsync([Record("ada", "sagemaker:CreateEndpoint", 9)]);
        var first = (await Store.ListAsync(new AuditQuery())).Entries[0];
        var forged = AuditChain.Seal(1, AuditChain.Genesis, first.Record with { User = "eve" });
        await TamperAsync($"UPDATE audit_log SET user_name = 'eve', hash = '{forged.Hash}' WHERE sequence = 1");
        verified = await AuditChain.VerifyAsync(Store);
        Assert.False(verified.Intact);
        Assert.Equal(2, verified.BrokenAt);
        Assert.Contains("does not link", verified.Problem, StringComparison.Ordinal);
    }

    private static AuditRecord Record(string user, string action, int minute, string? resource = null, string? key = null, int status = 200, string? code = null) =>
        new(Epoch.AddMinutes(minute), user, key, action, resource, "127.0.0.1", status, code);
}
