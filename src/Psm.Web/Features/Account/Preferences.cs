using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Features.Account;

public sealed record PreferencesDto(bool DarkMode);

public sealed class PreferencesInput
{
    /// <summary>The app in dark colours, on every device the person signs in on; absent leaves it as it is.</summary>
    public bool? DarkMode { get; set; }
}

/// <summary>How the app looks to a person, kept with their account so that it follows them to every browser and survives signing out.</summary>
public sealed class Preferences(IDbContextFactory<PsmDb> dbs, CurrentUser user)
{
    /// <summary>The signed-in person's preferences; the defaults when nobody is signed in.</summary>
    public async Task<PreferencesDto> MineAsync(CancellationToken ct = default)
    {
        if (user.Actor.UserId is not { } me)
        {
            return new PreferencesDto(DarkMode: false);
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.Id == me).Select(u => new PreferencesDto(u.DarkMode)).SingleOrDefaultAsync(ct)
               ?? new PreferencesDto(DarkMode: false);
    }

    /// <summary>Saves what the input names; a preference is no edit of the account, so it writes no audit entry.</summary>
    public async Task<PreferencesDto> SaveAsync(PreferencesInput input, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        if (input.DarkMode is { } dark)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await db.Users.Where(u => u.Id == me).ExecuteUpdateAsync(u => u.SetProperty(x => x.DarkMode, dark), ct);
        }

        return await MineAsync(ct);
    }
}
