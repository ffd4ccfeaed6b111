using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Kiln.Api.Security;

/// <summary>
/// SHA-256 and HMAC-SHA256 of the few hundred bytes a SigV4 check hashes (the body, the canonical request, the
/// string to sign), through OpenSSL's low-level <c>SHA256_Init/Update/Final</c> where libcrypto provides them (Linux),
/// else through .NET's own classes. .NET calls OpenSSL 3 through its EVP layer, and that layer's cost per call (about
/// 0.3 µs for a hash, 0.6 µs for an HMAC here) was most of what hashing a small input cost: these functions do the same
/// work in a third of the time. Large inputs (an S3 upload's body) stay on .NET's classes, where the per-call cost does
/// not matter.
/// </summary>
internal static unsafe class SmallSha256
{
    /// <summary>Room for OpenSSL's <c>SHA256_CTX</c> (112 bytes since OpenSSL 0.9.8), with a margin.</summary>
    private const int StateBytes = 128;

    private static readonly delegate* unmanaged<byte*, int> Init;
    private static readonly delegate* unmanaged<byte*, byte*, nuint, int> Update;
    private static readonly delegate* unmanaged<byte*, byte*, int> Final;

    /// <summary>Whether OpenSSL's functions are in use (found, and they hash a test input as .NET does).</summary>
    public static bool IsNative { get; }

    static SmallSha256()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var name in (ReadOnlySpan<string>)["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (NativeLibrary.TryLoad(name, out var library)
                && NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
                && NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
                && NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
            {
                Init = (delegate* unmanaged<byte*, int>)init;
                Update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
                Final = (delegate* unmanaged<byte*, byte*, int>)final;
                IsNative = !InFipsMode(library) && HashesAsDotNetDoes();
                return;
            }
        }
    }

    /// <summary>The SHA-256 of <paramref name="data"/> into <paramref name="hash"/> (32 bytes).</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        if (!IsNative)
        {
            SHA256.HashData(data, hash);
            return;
        }

        Span<byte> state = stackalloc byte[StateBytes];
        NativeInit(state);
        NativeUpdate(state, data);
        NativeFinal(state, hash);
    }

    /// <summary>
    /// A SHA-256 fed in pieces. Its state lives in the caller's <paramref name="state"/> (<see cref="StateSize"/>
    /// bytes, stackalloc'd), so a hash costs no allocation.
    /// </summary>
    public ref struct Builder
    {
        public const int StateSize = StateBytes;

        private readonly Span<byte> _state;
        private readonly IncrementalHash? _managed;

        public Builder(Span<byte> state)
        {
            if (IsNative)
            {
                _state = state;
                NativeInit(state);
            }
            else
            {
                _managed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            }
        }

        public readonly void Append(ReadOnlySpan<byte> data)
        {
            if (_managed is not null)
            {
                _managed.AppendData(data);
            }
            else
            {
                NativeUpdate(_state, data);
            }
        }

        /// <summary>The hash into <paramref name="hash"/> (32 bytes); the builder is spent.</summary>
        public readonly void Finish(Span<byte> hash)
        {
            if (_managed is not null)
            {
                _managed.GetHashAndReset(hash);
                _managed.Dispose();
            }
            else
            {
                NativeFinal(_state, hash);
            }
        }
    }

    /// <summary>
    /// An HMAC-SHA256 key with its inner and outer pad already hashed (RFC 2104), so each MAC under it hashes only the
    /// message and one more block. Keys longer than a block are hashed first, as HMAC requires.
    /// </summary>
    public sealed class HmacKey
    {
        // Where .NET's classes do the hashing instead, there are none and the key is used as it is.
        private readonly byte[]? _padStates;

        public HmacKey(byte[] key)
        {
            Key = key;
            if (!IsNative)
            {
                return;
            }

            _padStates = new byte[2 * StateBytes];

            Span<byte> blockKey = stackalloc byte[64];
            blockKey.Clear();
            if (key.Length > 64)
            {
                Hash(key, blockKey);
            }
            else
            {
                key.CopyTo(blockKey);
            }

            Span<byte> pad = stackalloc byte[64];
            foreach (var (offset, xor) in (ReadOnlySpan<(int, byte)>)[(0, 0x36), (StateBytes, 0x5c)])
            {
                for (var i = 0; i < pad.Length; i++)
                {
                    pad[i] = (byte)(blockKey[i] ^ xor);
                }

                var state = _padStates.AsSpan(offset, StateBytes);
                NativeInit(state);
                NativeUpdate(state, pad);
            }

            CryptographicOperations.ZeroMemory(blockKey);
            CryptographicOperations.ZeroMemory(pad);
        }

        public byte[] Key { get; }

        /// <summary>The MAC of <paramref name="message"/> into <paramref name="mac"/> (32 bytes).</summary>
        public void Compute(ReadOnlySpan<byte> message, Span<byte> mac)
        {
            if (_padStates is null)
            {
                HMACSHA256.HashData(Key, message, mac);
                return;
            }

            Span<byte> state = stackalloc byte[StateBytes];
            Span<byte> inner = stackalloc byte[32];
            _padStates.AsSpan(0, StateBytes).CopyTo(state);
            NativeUpdate(state, message);
            NativeFinal(state, inner);
            _padStates.AsSpan(StateBytes, StateBytes).CopyTo(state);
            NativeUpdate(state, inner);
            NativeFinal(state, mac);
        }
    }

    private static void NativeInit(Span<byte> state)
    {
        fixed (byte* context = state)
        {
            Init(context);
        }
    }

    private static void NativeUpdate(Span<byte> state, ReadOnlySpan<byte> data)
    {
        fixed (byte* context = state)
        fixed (byte* bytes = data)
        {
            Update(context, bytes, (nuint)data.Length);
        }
    }

    private static void NativeFinal(Span<byte> state, Span<byte> hash)
    {
        fixed (byte* context = state)
        fixed (byte* digest = hash)
        {
            Final(digest, context);
        }
    }

    /// <summary>
    /// Whether OpenSSL runs with FIPS-approved algorithms only: the low-level functions are outside its FIPS provider,
    /// so there every hash goes through .NET's classes (and so through the provider).
    /// </summary>
    private static bool InFipsMode(IntPtr library) =>
        (NativeLibrary.TryGetExport(library, "EVP_default_properties_is_fips_enabled", out var isFips3)
            && ((delegate* unmanaged<IntPtr, int>)isFips3)(IntPtr.Zero) != 0)
        || (NativeLibrary.TryGetExport(library, "FIPS_mode", out var fipsMode) && ((delegate* unmanaged<int>)fipsMode)() != 0);

    /// <summary>A check before trusting the functions found: a two-block input hashed in two pieces, as .NET hashes it.</summary>
    private static bool HashesAsDotNetDoes()
    {
        Span<byte> input = stackalloc byte[100];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (byte)(i * 7);
        }

        Span<byte> state = stackalloc byte[StateBytes];
        Span<byte> native = stackalloc byte[32];
        NativeInit(state);
        NativeUpdate(state, input[..37]);
        NativeUpdate(state, input[37..]);
        NativeFinal(state, native);
        return native.SequenceEqual(SHA256.HashData(input));
    }
}
