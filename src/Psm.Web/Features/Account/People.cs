using Psm.Web.Infrastructure.Http;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;

namespace Psm.Web.Features.Account;

/// <summary>The people records can be assigned to: active users, by name.</summary>
public sealed class People(IDbContextFactory<PsmDb> dbs)
{
    public async Task<IReadOnlyList<NamedRef>> ActiveAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.DeactivatedAt == null).OrderBy(u => u.DisplayName)
            .Select(u => new NamedRef(u.Id, u.DisplayName)).ToListAsync(ct);
    }
}
