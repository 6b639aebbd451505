package io.daxfs.it.fio;

/** The fio matrix on the default mount (dax=inode: page cache, so the mmap engine works). */
class FioVerifyTest extends FioMatrix {
    @Override
    String[] options() {
        return new String[0];
    }
}
