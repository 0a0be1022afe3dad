namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// A fixed-size Bloom filter over the keys an import has written so far: "no" is certain, "maybe" is checked
/// against the database. Memory stays at <see cref="Bytes"/> whatever the file's size; as a file grows past tens
/// of millions of keys more answers become "maybe", so more keys are looked up, but none is ever missed.
/// </summary>
public sealed class SeenFilter
{
    private const int Hashes = 4;
    private readonly ulong[] bits;
    private readonly ulong mask;

    /// <param name="bitsLog2">2^bitsLog2 bits; 27 is 16 MB: 0.04 % false "maybe" at 5 000 000 keys, 6 % at 30 000 000.</param>
    public SeenFilter(int bitsLog2 = 27)
    {
        bits = new ulong[1L << (bitsLog2 - 6)];
        mask = (1UL << bitsLog2) - 1;
    }

    public long Bytes => bits.LongLength * sizeof(ulong);

    public void Add(string key)
    {
        var (h1, h2) = Hash(key);
        for (var i = 0UL; i < Hashes; i++)
        {
            var bit = (h1 + (i * h2)) & mask;
            bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    public bool MightContain(string key)
    {
        var (h1, h2) = Hash(key);
        for (var i = 0UL; i < Hashes; i++)
        {
            var bit = (h1 + (i * h2)) & mask;
            if ((bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Two 64-bit FNV-1a hashes with different offsets (double hashing gives the k positions).</summary>
    private static (ulong, ulong) Hash(string key)
    {
        const ulong prime = 1099511628211;
        ulong a = 14695981039346656037, b = 0x9E3779B97F4A7C15;
        foreach (var c in key)
        {
            a = (a ^ c) * prime;
            b = (b ^ c) * prime;
            b ^= b >> 29;
        }

        return (a, b | 1);
    }
}
