using Microsoft.Data.Sqlite;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// `dotnet run --project src/Psm.Web -- backup FILE`: a consistent copy of the SQLite database through
/// SQLite's online backup API, taken while PSM runs. Copying psm.db alone is not a backup: committed
/// writes may still sit in psm.db-wal, after a crash too. PostgreSQL is backed up with pg_dump.
/// </summary>
public static class DatabaseBackup
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2 || string.IsNullOrWhiteSpace(args[1]))
        {
            Console.Error.WriteLine("Usage: dotnet run --project src/Psm.Web -- backup FILE [--ConnectionStrings:Psm=...]");
            return 2;
        }

        var builder = WebApplication.CreateBuilder(args[2..]);
        var settings = DatabaseSettings.From(builder.Configuration, builder.Environment.ContentRootPath);
        if (settings.Provider != DatabaseProvider.Sqlite)
        {
            Console.Error.WriteLine("PSM runs on PostgreSQL here: back it up with pg_dump -Fc (see docs/operations.md).");
            return 2;
        }

        var bytes = await SqliteAsync(settings.ConnectionString, Path.GetFullPath(args[1]));
        Console.WriteLine($"Backed up to {Path.GetFullPath(args[1])} ({bytes:N0} bytes).");
        return 0;
    }

    /// <summary>Copies the live database (its WAL included) into one self-contained file; returns its size.</summary>
    public static async Task<long> SqliteAsync(string sourceConnectionString, string target, CancellationToken ct = default)
    {
        if (File.Exists(target))
        {
            throw new IOException($"{target} already exists; choose a new file for the backup.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using var source = new SqliteConnection(sourceConnectionString);
        await source.OpenAsync(ct);
        await using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Pooling = false }.ToString()))
        {
            await copy.OpenAsync(ct);
            source.BackupDatabase(copy);
            await using var single = copy.CreateCommand();
            single.CommandText = "PRAGMA journal_mode=DELETE;"; // a backup is one file, with no WAL beside it
            await single.ExecuteNonQueryAsync(ct);
        }

        return new FileInfo(target).Length;
    }
}
