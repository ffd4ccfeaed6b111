using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Security;

/// <summary>
/// Encrypts access key secrets at rest (AES-256-GCM) and digests them for lookup (HMAC-SHA256), with keys derived
/// from one random master key in a file only its owner can read (<c>secrets.key</c> in the data folder, mode 0600).
/// SigV4 needs the secret itself to recompute a signature, so secrets cannot be hashed one way; a stolen database
/// without the key file reveals none of them.
/// </summary>
public sealed class SecretBox
{
    public const string KeyFileName = "secrets.key";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _encryptionKey;
    private readonly byte[] _digestKey;

    public SecretBox(byte[] masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("The master key must be 32 bytes.", nameof(masterKey));
        }

        _encryptionKey = HMACSHA256.HashData(masterKey, "kiln access key encryption"u8);
        _digestKey = HMACSHA256.HashData(masterKey, "kiln access key digest"u8);
    }

    /// <summary>The box whose master key is in <paramref name="dataDirectory"/>, created there on first use.</summary>
    public static SecretBox ForDataDirectory(string dataDirectory) => new(LoadOrCreateKey(Path.Combine(dataDirectory, KeyFileName)));

    public byte[] Encrypt(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBox = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBox.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_encryptionKey, TagSize);
        aes.Encrypt(nonce, plain, sealedBox.AsSpan(NonceSize + TagSize), sealedBox.AsSpan(NonceSize, TagSize));
        return sealedBox;
    }

    /// <summary>The secret, or an exception if the box was sealed with another key or altered.</summary>
    public string Decrypt(byte[] sealedBox)
    {
        if (sealedBox.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The stored secret is truncated.");
        }

        var plain = new byte[sealedBox.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_encryptionKey, TagSize);
        aes.Decrypt(sealedBox.AsSpan(0, NonceSize), sealedBox.AsSpan(NonceSize + TagSize), sealedBox.AsSpan(NonceSize, TagSize), plain);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>A keyed digest of a secret: the same secret always gives the same digest, which reveals nothing without the key.</summary>
    public string Digest(string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(_digestKey, Encoding.UTF8.GetBytes(secret)));

    private static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path))
        {
            return ReadKey(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written whole under another name, then moved into place: a second process starting at the same moment
        // either wins the move or reads the winner's complete file, never half of one.
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(RandomNumberGenerator.GetBytes(32));
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }

        return ReadKey(path);
    }

    private static byte[] ReadKey(string path)
    {
        var key = File.ReadAllBytes(path);
        return key.Length == 32 ? key : throw new InvalidOperationException($"{path} is not a Kiln secrets key (32 bytes); restore it from a backup or delete it and create every user's key again.");
    }
}
