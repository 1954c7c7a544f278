/* mem.c - guest memory as QEMU shares it (SET_MEM_TABLE): each region's fd is mapped
 * whole (mmap_offset + size bytes from offset 0, as the offset need not be page-aligned),
 * and two address spaces are translated: guest-physical addresses (descriptors, indirect
 * tables) for lib/vring.c through struct vsk_mem, and QEMU's user addresses (the ring
 * addresses of SET_VRING_ADDR) into guest-physical ones. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsockdev.h"

/* [addr, addr + len) inside one region, or NULL (lib/vring.c has checked addr + len for
 * overflow). */
static void *mem_map(const struct vsk_mem *vm, uint64_t addr, uint64_t len)
{
	const struct vd_mem *m = vm->ctx;

	for (unsigned i = 0; i < m->n; i++) {
		const struct vd_mem_region *r = &m->reg[i];

		if (addr >= r->r.gpa && addr - r->r.gpa <= r->r.size &&
		    len <= r->r.size - (addr - r->r.gpa))
			return r->map + r->r.mmap_offset + (addr - r->r.gpa);
	}
	return NULL;
}

void vd_mem_init(struct vd_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->mem.map = mem_map;
	m->mem.ctx = m;
}

void vd_mem_clear(struct vd_mem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		munmap(m->reg[i].map, m->reg[i].map_len);
	m->n = 0;
}

int vd_mem_set(struct vd_mem *mm, const struct vsk_vu_msg *m, int *fds, unsigned nfds,
	       char *err, size_t errlen)
{
	int rc = 0;

	vd_mem_clear(mm);
	if (nfds != m->nregions) {
		snprintf(err, errlen, "%u regions but %u file descriptors", m->nregions, nfds);
		rc = -EINVAL;
	}
	for (unsigned i = 0; rc == 0 && i < m->nregions; i++) {
		const struct vsk_vu_region *r = &m->region[i];
		struct stat st;
		void *p;

		if (r->size == 0 || r->mmap_offset > SIZE_MAX - r->size ||
		    r->gpa > UINT64_MAX - r->size || r->uva > UINT64_MAX - r->size) {
			snprintf(err, errlen, "region %u: size %#llx at offset %#llx does not fit",
				 i, (unsigned long long)r->size,
				 (unsigned long long)r->mmap_offset);
			rc = -EINVAL;
			break;
		}
		/* a mapping beyond the end of the file would fault (SIGBUS) on first touch */
		if (fstat(fds[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < r->size + r->mmap_offset) {
			snprintf(err, errlen, "region %u: %#llx bytes at offset %#llx: the file "
				 "is not that large", i, (unsigned long long)r->size,
				 (unsigned long long)r->mmap_offset);
			rc = -EINVAL;
			break;
		}
		p = mmap(NULL, r->size + r->mmap_offset, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[i], 0);
		if (p == MAP_FAILED) {
			rc = -errno;
			snprintf(err, errlen, "region %u: mmap of %#llx bytes: %s", i,
				 (unsigned long long)(r->size + r->mmap_offset), strerror(errno));
			break;
		}
		mm->reg[i].r = *r;
		mm->reg[i].map = p;
		mm->reg[i].map_len = r->size + r->mmap_offset;
		mm->n = i + 1;
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc)
		vd_mem_clear(mm);
	return rc;
}

int vd_mem_uva_to_gpa(const struct vd_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct vsk_vu_region *r = &m->reg[i].r;

		if (uva >= r->uva && uva - r->uva < r->size && len <= r->size - (uva - r->uva)) {
			*gpa = r->gpa + (uva - r->uva);
			return 0;
		}
	}
	return -EFAULT;
}
