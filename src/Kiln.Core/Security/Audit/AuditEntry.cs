namespace Kiln.Core.Security.Audit;

/// <summary>
/// One call worth recording, before it joins the chain: who (a user name or <c>anonymous</c>, and the access key
/// used), what (<c>sagemaker:CreateTrainingJob</c>, <c>mlflow:POST /api/2.0/mlflow/runs/create</c>…), on what
/// (a name, ARN or id when the request names one), when, from where, and how it ended (HTTP status, error code).
/// Never a secret or a request body.
/// </summary>
public sealed record AuditRecord(
    DateTimeOffset Time,
    string User,
    string? AccessKeyId,
    string Action,
    string? Resource,
    string? RemoteIp,
    int Status,
    string? ErrorCode);

/// <summary>
/// A record as kept: its place in the log (from 1, no gaps), the hash of the entry before it (<see cref="AuditChain.Genesis"/>
/// for the first) and its own hash over both, so editing or removing an entry breaks the chain from there on.
/// </summary>
public sealed record AuditEntry(long Sequence, AuditRecord Record, string PreviousHash, string Hash);

/// <summary>
/// Which entries to read, oldest first: only <paramref name="User"/>'s, only from <paramref name="Since"/>, after
/// the entry numbered <paramref name="After"/> (a page token), at most <paramref name="Limit"/>.
/// </summary>
public sealed record AuditQuery(string? User = null, DateTimeOffset? Since = null, long After = 0, int Limit = 100);

/// <summary>A page of entries; <see cref="NextAfter"/> is where the next page starts (null: no more).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? NextAfter);
