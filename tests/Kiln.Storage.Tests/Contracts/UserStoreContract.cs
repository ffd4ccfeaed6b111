using Kiln.Core.Security;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IUserStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class UserStoreContract
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IUserStore? _store;

    protected abstract IUserStore CreateStore();

    protected IUserStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_user_round_trips_and_is_found_by_name_key_and_digest()
    {
        var alice = User("alice", admin: true, code: false, "AKIAALICE", [1, 2, 3, 0, 255], "digest-a");
        Assert.True(await Store.CreateAsync(alice));
        Assert.True(await Store.CreateAsync(User("bob", admin: false, code: true, "AKIABOB", [9], "digest-b")));

        AssertSame(alice, await Store.FindByNameAsync("alice"));
        AssertSame(alice, await Store.FindByAccessKeyAsync("AKIAALICE"));
        AssertSame(alice, await Store.FindBySecretDigestAsync("digest-a"));
        Assert.Null(await Store.FindByNameAsync("Alice"));
        Assert.Null(await Store.FindByAccessKeyAsync("AKIANONE"));
        Assert.Null(await Store.FindBySecretDigestAsync("digest-x"));
        Assert.Equal(["alice", "bob"], (await Store.ListAsync()).Select(user => user.Name));
        Assert.Equal(alice.User, (await Store.ListAsync())[0]);
    }

    [StoreFact]
    public async Task A_name_is_taken_once()
    {
        Assert.True(await Store.CreateAsync(User("carol", admin: false, code: false, "AKIA1", [1], "d1")));
        Assert.False(await Store.CreateAsync(User("carol", admin: true, code: true, "AKIA2", [2], "d2")));

        var stored = await Store.FindByNameAsync("carol");
        Assert.Equal("AKIA1", stored!.User.AccessKeyId);
        Assert.False(stored.User.IsAdmin);
        Assert.Null(await Store.FindByAccessKeyAsync("AKIA2"));
    }

    [StoreFact]
    public async Task Replacing_a_key_retires_the_old_one_and_deleting_removes_the_user()
    {
        await Store.CreateAsync(User("dave", admin: false, code: true, "AKIAOLD", [1], "old"));

        Assert.True(await Store.ReplaceKeyAsync("dave", "AKIANEW", [7, 7], "new"));
        Assert.False(await Store.ReplaceKeyAsync("nobody", "AKIAX", [1], "x"));
        Assert.Null(await Store.FindByAccessKeyAsync("AKIAOLD"));
        Assert.Null(await Store.FindBySecretDigestAsync("old"));
        var rotated = await Store.FindByAccessKeyAsync("AKIANEW");
        Assert.Equal("dave", rotated!.User.Name);
        Assert.True(rotated.User.CanRunCode);
        Assert.Equal([7, 7], rotated.EncryptedSecret);
        Assert.Equal("new", rotated.SecretDigest);

        Assert.True(await Store.DeleteAsync("dave"));
        Assert.False(await Store.DeleteAsync("dave"));
        Assert.Null(await Store.FindByNameAsync("dave"));
        Assert.Null(await Store.FindByAccessKeyAsync("AKIANEW"));
        Assert.Empty(await Store.ListAsync());
    }

    private static StoredUser User(string name, bool admin, bool code, string key, byte[] secret, string digest) =>
        new(new KilnUser(name, admin, code, key, Epoch), secret, digest);

    private static void AssertSame(StoredUser expected, StoredUser? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.User, actual.User);
        Assert.Equal(expected.EncryptedSecret, actual.EncryptedSecret);
        Assert.Equal(expected.SecretDigest, actual.SecretDigest);
    }
}
