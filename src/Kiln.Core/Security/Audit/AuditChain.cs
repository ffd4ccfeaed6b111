using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Security.Audit;

/// <summary>
/// The hash chain that makes the audit log tamper-evident: each entry's hash is SHA-256 over the previous entry's
/// hash and the entry's own fields, so an edited entry no longer matches its hash, and a removed one leaves a gap in
/// the numbers and a previous-hash that matches nothing. (Removing the newest entries leaves a shorter valid chain:
/// keep a copy of the last hash elsewhere to detect that, see docs/security.md.)
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    public static AuditEntry Seal(long sequence, string previousHash, AuditRecord record) =>
        new(sequence, record, previousHash, Hash(sequence, previousHash, record));

    public static string Hash(long sequence, string previousHash, AuditRecord record)
    {
        // Each field is length-prefixed, so no choice of values can make two different entries hash the same text.
        var text = new StringBuilder(256);
        foreach (var field in new[]
        {
            previousHash,
            sequence.ToString(CultureInfo.InvariantCulture),
            record.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            record.User,
            record.AccessKeyId,
            record.Action,
            record.Resource,
            record.RemoteIp,
            record.Status.ToString(CultureInfo.InvariantCulture),
            record.ErrorCode,
        })
        {
            text.Append(field is null ? "-1" : field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append(';');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Checks a whole log, oldest first: every entry numbered one after the last, linked to it, and matching its own hash.</summary>
    public static async Task<AuditVerification> VerifyAsync(IAuditStore store, CancellationToken ct = default)
    {
        long expected = 1;
        var previous = Genesis;
        long after = 0;
        while (true)
        {
            var page = await store.ListAsync(new AuditQuery(After: after, Limit: 1000), ct).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                if (entry.Sequence != expected)
                {
                    return AuditVerification.Broken(expected - 1, entry.Sequence, $"entry {expected} is missing (the next one is {entry.Sequence})");
                }

                if (entry.PreviousHash != previous)
                {
                    return AuditVerification.Broken(expected - 1, entry.Sequence, $"entry {entry.Sequence} does not link to entry {entry.Sequence - 1}");
                }

                if (Hash(entry.Sequence, entry.PreviousHash, entry.Record) != entry.Hash)
                {
                    return AuditVerification.Broken(expected - 1, entry.Sequence, $"entry {entry.Sequence} was changed after it was written");
                }

                previous = entry.Hash;
                expected++;
            }

            if (page.NextAfter is not { } next)
            {
                return new AuditVerification(true, expected - 1, null, null, previous);
            }

            after = next;
        }
    }
}

/// <summary>
/// What <see cref="AuditChain.VerifyAsync"/> found: how many entries check out, and where and why the chain breaks
/// (null when intact). <see cref="LastHash"/> is the hash of the last good entry, worth keeping elsewhere.
/// </summary>
public sealed record AuditVerification(bool Intact, long Verified, long? BrokenAt, string? Problem, string? LastHash = null)
{
    public static AuditVerification Broken(long verified, long at, string problem) => new(false, verified, at, problem);
}
