using Kiln.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>A server started with <c>--auth</c>, with an admin (<see cref="Admin"/>), a plain user (<see cref="Reader"/>) and a plain user who may run code (<see cref="Coder"/>).</summary>
public sealed class AuthServerFixture : KilnServerFixture
{
    public AuthServerFixture()
        : base(options => options with { Auth = true })
    {
    }

    public UserCredentials Admin { get; private set; } = null!;

    public UserCredentials Reader { get; private set; } = null!;

    /// <summary>A plain user with the right to run code (<c>--can-run-code</c>).</summary>
    public UserCredentials Coder { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var users = Services.GetRequiredService<Users>();
        Admin = await users.CreateAsync("ada", isAdmin: true, canRunCode: true);
        Reader = await users.CreateAsync("reader.one", isAdmin: false, canRunCode: false);
        Coder = await users.CreateAsync("coder", isAdmin: false, canRunCode: true);
    }
}
