using System.Security.Cryptography;

namespace Kiln.Api.Security;

/// <summary>
/// The chain of signatures of an <c>aws-chunked</c> body signed chunk by chunk
/// (<c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c>): each chunk's signature covers its data and the previous signature,
/// starting from the request's own (the seed), so no chunk can be changed, dropped or reordered.
/// </summary>
internal sealed class ChunkSignatures(SmallSha256.HmacKey signingKey, string amzDate, string scope, string seedSignature)
{
    private string _previous = seedSignature;

    /// <summary>Checks one chunk's signature against its data's SHA-256 and moves the chain on; throws if it does not match.</summary>
    public void Verify(string? claimed, byte[] chunkSha256)
    {
        var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{amzDate}\n{scope}\n{_previous}\n{SigV4.EmptySha256}\n{Convert.ToHexStringLower(chunkSha256)}";
        var expected = SigV4.Sign(signingKey, stringToSign);
        if (claimed is null || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(claimed.ToLowerInvariant())))
        {
            throw new ChunkSignatureMismatchException();
        }

        _previous = expected;
    }
}

/// <summary>A chunk of a signed aws-chunked body is not what its signature covers (S3's <c>SignatureDoesNotMatch</c>).</summary>
internal sealed class ChunkSignatureMismatchException()
    : IOException("The request signature we calculated does not match the signature you provided for a chunk of the aws-chunked body.");
