namespace Kiln.Studio.Live;

/// <summary>
/// A live topic's fingerprint as a page read it BEFORE loading what its <c>LiveRegion</c> shows. The region hands it to
/// the event stream as <c>since</c>, and any change after this reading is announced. Read after the data instead, it
/// could already count a change the data missed (a job stopping between the two reads) and the page would stay stale,
/// so a region takes only this: the page reads it with <see cref="ReadAsync"/>, then loads its data.
/// </summary>
public sealed class LiveMark
{
    private LiveMark(string topic, string? key, string? fingerprint)
    {
        Topic = topic;
        Key = key;
        Fingerprint = fingerprint;
    }

    public string Topic { get; }

    public string? Key { get; }

    /// <summary>Null when the record the topic follows did not exist yet.</summary>
    public string? Fingerprint { get; }

    public static async Task<LiveMark> ReadAsync(ILiveFingerprints fingerprints, string topic, string? key, CancellationToken ct = default) =>
        new(topic, key, await fingerprints.FingerprintAsync(topic, key, ct));
}
