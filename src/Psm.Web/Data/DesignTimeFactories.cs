using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Psm.Web.Data;

// Used by `dotnet ef` only: each provider's migrations are generated against its own context type.
internal sealed class SqlitePsmDbDesignFactory : IDesignTimeDbContextFactory<SqlitePsmDb>
{
    public SqlitePsmDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PsmDb>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresPsmDbDesignFactory : IDesignTimeDbContextFactory<PostgresPsmDb>
{
    public PostgresPsmDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PsmDb>().UseNpgsql("Host=localhost;Database=psm_design").Options);
}
