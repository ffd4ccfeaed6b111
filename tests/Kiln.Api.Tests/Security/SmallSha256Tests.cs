using System.Security.Cryptography;
using Kiln.Api.Security;

namespace Kiln.Api.Tests.Security;

/// <summary>The SigV4 check's SHA-256 and HMAC (OpenSSL's low-level functions on Linux) against .NET's.</summary>
public sealed class SmallSha256Tests
{
    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void On_linux_the_hashes_come_from_openssl()
    {
        // .NET itself needs OpenSSL on Linux, so its libcrypto is always there to be found.
        Assert.Equal(OperatingSystem.IsLinux(), SmallSha256.IsNative);
    }

    [Fact]
    public void A_hash_is_sha256_for_every_length_around_the_block_boundaries()
    {
        var random = new Random(1);
        Span<byte> hash = stackalloc byte[32];
        foreach (var length in Enumerable.Range(0, 300).Append(1 << 20))
        {
            var data = Bytes(random, length);
            SmallSha256.Hash(data, hash);
            Assert.True(hash.SequenceEqual(SHA256.HashData(data)), $"length {length}");
        }
    }

    [Fact]
    public void A_hash_fed_in_pieces_is_the_hash_of_the_whole()
    {
        var random = new Random(2);
        Span<byte> hash = stackalloc byte[32];
        Span<byte> state = stackalloc byte[SmallSha256.Builder.StateSize];
        for (var trial = 0; trial < 200; trial++)
        {
            var data = Bytes(random, random.Next(0, 600));
            var builder = new SmallSha256.Builder(state);
            for (var at = 0; at < data.Length;)
            {
                var piece = Math.Min(data.Length - at, random.Next(0, 130));
                builder.Append(data.AsSpan(at, piece));
                at += piece;
            }

            builder.Finish(hash);
            Assert.True(hash.SequenceEqual(SHA256.HashData(data)), $"trial {trial}, {data.Length} bytes");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void An_hmac_is_hmac_sha256_for_keys_shorter_and_longer_than_a_block(int keyLength)
    {
        var random = new Random(keyLength);
        var key = new SmallSha256.HmacKey(Bytes(random, keyLength));
        Span<byte> mac = stackalloc byte[32];
        foreach (var length in new[] { 0, 1, 55, 56, 63, 64, 65, 150, 1000 })
        {
            var message = Bytes(random, length);
            key.Compute(message, mac);
            Assert.True(mac.SequenceEqual(HMACSHA256.HashData(key.Key, message)), $"{keyLength}-byte key, {length}-byte message");
            // The key's pad states are not consumed: the same message again gives the same MAC.
            key.Compute(message, mac);
            Assert.True(mac.SequenceEqual(HMACSHA256.HashData(key.Key, message)));
        }
    }
}
