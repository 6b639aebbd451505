#!/usr/bin/python3
"""Prints one sorted line per entry under ROOT: path, type, mode, owner, size, mtime (ns),
symlink target or content digest, xattrs, and hard-link group (first path of the same inode).
Two trees are equal in every way cp -a / tar / rsync -a must keep when their manifests are equal.
Access times are left out (reading changes them); so is the root's own mtime."""
import hashlib, os, stat, sys

root = sys.argv[1].encode()
groups = {}
lines = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames) + ([b'.'] if dirpath == root else []):
        p = os.path.join(dirpath, name) if name != b'.' else dirpath
        rel = os.path.relpath(p, root)
        s = os.lstat(p)
        kind = stat.S_IFMT(s.st_mode)
        if stat.S_ISLNK(s.st_mode):
            what = b'-> ' + os.readlink(p)
        elif stat.S_ISREG(s.st_mode):
            h = hashlib.sha256()
            with open(p, 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 20), b''):
                    h.update(chunk)
            what = h.hexdigest().encode()
        elif stat.S_ISCHR(s.st_mode) or stat.S_ISBLK(s.st_mode):
            what = b'dev %d,%d' % (os.major(s.st_rdev), os.minor(s.st_rdev))
        else:
            what = b''
        link = b''
        if not stat.S_ISDIR(s.st_mode) and s.st_nlink > 1:
            link = b' link=' + groups.setdefault(s.st_ino, rel)
        try:
            xs = sorted(os.listxattr(p, follow_symlinks=False))
            xattrs = b' '.join(x.encode() + b'=' + os.getxattr(p, x, follow_symlinks=False).hex().encode()
                               for x in xs if not x.startswith('user.daxfs.'))
        except OSError:
            xattrs = b'?'
        mtime = b'' if rel == b'.' else b'%d' % s.st_mtime_ns
        lines.append(b'%s %o %o %d:%d %d %s %s [%s]%s' % (rel, kind >> 12, stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid,
                                                        s.st_size if not stat.S_ISDIR(s.st_mode) else 0, mtime, what, xattrs, link))
sys.stdout.buffer.write(b'\n'.join(sorted(lines)) + b'\n')
