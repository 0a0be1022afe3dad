using Microsoft.AspNetCore.DataProtection;
using Psm.Web.Data;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// Where the keys live that sign cookies and antiforgery tokens and encrypt stored secrets (mailbox passwords, webhook
/// secrets). <c>DataProtection:Keys</c> is <c>Folder</c> (the default: this machine's folder, or <c>DataProtection:Folder</c>)
/// or <c>Database</c>: the key ring in PSM's database, shared by every instance, under one application name
/// (<c>DataProtection:ApplicationName</c>, default "PSM"), so that a cookie or a secret made on one instance opens on another.
/// </summary>
public static class DataProtectionSetup
{
    public static IServiceCollection AddPsmDataProtection(this IServiceCollection services, IConfiguration config, string contentRoot)
    {
        var protection = services.AddDataProtection();
        var name = config["DataProtection:ApplicationName"];
        switch (config["DataProtection:Keys"] ?? "Folder")
        {
            case var keys when keys.Equals("Database", StringComparison.OrdinalIgnoreCase):
                protection.SetApplicationName(string.IsNullOrWhiteSpace(name) ? "PSM" : name).PersistKeysToDbContext<PsmDb>();
                break;
            case var keys when keys.Equals("Folder", StringComparison.OrdinalIgnoreCase):
                // No name by default: keys made before this setting existed were made under the content root's.
                if (!string.IsNullOrWhiteSpace(name))
                {
                    protection.SetApplicationName(name);
                }

                if (config["DataProtection:Folder"] is { Length: > 0 } folder)
                {
                    protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(contentRoot, folder)));
                }

                break;
            default:
                throw new StartupException($"DataProtection:Keys is '{config["DataProtection:Keys"]}'; it must be Folder or Database.");
        }

        return services;
    }
}
